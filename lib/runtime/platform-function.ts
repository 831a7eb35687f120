import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Runtime of every platform Lambda: Node.js 24 (22 and newer are supported upstream; 20 is past end of life). */
export const PLATFORM_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** Architecture of every platform Lambda; native modules (DuckDB) are shipped for it. */
export const PLATFORM_ARCHITECTURE = lambda.Architecture.ARM_64;
/** esbuild target matching PLATFORM_RUNTIME: it decides the emitted syntax, whatever Node runs the build. */
export const PLATFORM_ESBUILD_TARGET = 'node24';

export interface PlatformFunctionProps extends Omit<NodejsFunctionProps, 'runtime' | 'architecture' | 'logGroup'> {
  /** Path of the handler module under lambdas/. */
  readonly entry: string;
  /** Log group of the function. @default a new one, kept for a month */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * A NodejsFunction with the platform's defaults: Node.js 24 on arm64, bundled locally by esbuild (no
 * Docker), minified with source maps, structured JSON logs kept for a month in its own log group, X-Ray
 * tracing, and a role with no AWS managed policy.
 * Anything else can be overridden through props.
 */
export class PlatformFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    const logGroup = props.logGroup ?? new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    // A role of its own without AWS managed policies: logs go to exactly its log group (granted below).
    const role = props.role ?? new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    super(scope, id, {
      memorySize: 1024,
      timeout: Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      ...props,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      runtime: PLATFORM_RUNTIME,
      architecture: PLATFORM_ARCHITECTURE,
      bundling: {
        forceDockerBundling: false,
        target: PLATFORM_ESBUILD_TARGET,
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The AWS SDK is bundled too (NodejsFunction leaves `@aws-sdk/*` to the runtime by default): the
        // version of package-lock.json is the one tested and deployed, not whatever the runtime ships.
        externalModules: [],
        ...props.bundling,
      },
    });
    logGroup.grantWrite(this);
  }
}

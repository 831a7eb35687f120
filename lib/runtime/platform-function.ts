import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functionCode, type BundledData, type FunctionSource } from './function-code';
import type { PlatformData } from './platform-data';

/** Runtime of every platform Lambda: Node.js 24 (22 and newer are supported upstream; 20 is past end of life). */
export const PLATFORM_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** Architecture of every platform Lambda; native modules (DuckDB) are shipped for it. */
export const PLATFORM_ARCHITECTURE = lambda.Architecture.ARM_64;
export { PLATFORM_ESBUILD_TARGET } from './function-code';

export interface PlatformFunctionProps extends Omit<lambda.FunctionProps, 'runtime' | 'architecture' | 'code' | 'handler' | 'logGroup'> {
  /** The function's code: one of PLATFORM_FUNCTIONS, or a handler module of your own. */
  readonly source: FunctionSource;
  /** Exported function of the handler module that Lambda calls. @default 'handler' */
  readonly handler?: string;
  /** Data files the function reads under /var/task (contracts, Gold SQL), copied from the folders synth read. @default none */
  readonly bundledData?: { readonly data: PlatformData; readonly parts: readonly BundledData[] };
  /** Log group of the function. @default a new one, kept for a month */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * A Lambda function with the platform's defaults: Node.js 24 on arm64, its code pre-built in the package or
 * bundled locally by esbuild (no Docker), minified with source maps, structured JSON logs kept for a month
 * in its own log group, X-Ray tracing, and a role with no AWS managed policy.
 * Anything else can be overridden through props.
 */
export class PlatformFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    const logGroup = props.logGroup ?? new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    // A role of its own without AWS managed policies: logs go to exactly its log group (granted below).
    const role = props.role ?? new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const { source, bundledData, handler, ...functionProps } = props;
    super(scope, id, {
      memorySize: 1024,
      timeout: Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      ...functionProps,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      runtime: PLATFORM_RUNTIME,
      architecture: PLATFORM_ARCHITECTURE,
      code: functionCode(source, bundledData),
      handler: `index.${handler ?? 'handler'}`,
    });
    logGroup.grantWrite(this);
  }
}

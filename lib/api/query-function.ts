import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';
import { PlatformFunction } from '../runtime/platform-function';
import { arnFinding } from '../nag-suppressions';
import type { PlatformData } from '../runtime/platform-data';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';


export interface QueryFunctionProps {
  /** The contracts and Gold SQL folders synth read; the function's bundle carries exactly those files. */
  readonly data: PlatformData;
  /** The stage's settings: the query timeout and Athena result reuse. */
  readonly config: StageConfig;
  /** Names of the Glue databases the queries read: Gold (published builds) and operations tables. */
  readonly databases: { readonly gold: string; readonly ops: string };
  /** Athena workgroup the queries run in (results location and encryption are enforced by it). */
  readonly workGroup: string;
  /** Holds the published Gold builds. */
  readonly goldBucket: IBucket;
  /** Holds the run manifests and quality results under `_operations/`. */
  readonly silverBucket: IBucket;
  /** Bucket Athena writes the query results to (under `results/`). */
  readonly resultsBucket: IBucket;
  /** Key of the data buckets and Athena results. */
  readonly encryptionKey: IKey;
}

/**
 * The API's read side: the query function serving every GET route (Gold rows through Athena, runs,
 * quality, datasets, openapi.json), with a role that reads the published Gold tables, the operations
 * tables and the Athena results, runs queries in the platform workgroup only, and nothing else; plus the
 * secret that signs its page tokens.
 */
export class QueryFunction extends Construct {
  readonly function: PlatformFunction;
  readonly tokenKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: QueryFunctionProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.tokenKey = new secretsmanager.Secret(this, 'TokenKey', {
      secretName: resourceName(config, 'api-token-key'),
      description: 'HMAC key signing the HTTP API page tokens and query ids; rotating it only invalidates open tokens',
      // The AWS managed key: a grant on the data key (storage stack) for this role would make the storage stack depend on this one.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.function = new PlatformFunction(this, 'Function', {
      source: PLATFORM_FUNCTIONS.query,
      description: 'HTTP API GET routes: Gold datasets through Athena (parameterized), runs, quality, OpenAPI',
      memorySize: 512,
      // API Gateway ends the request at 29 s; the handler answers 504 with a queryId before that.
      timeout: Duration.seconds(30),
      environment: {
        WORKGROUP: props.workGroup,
        GOLD_DATABASE: props.databases.gold,
        OPS_DATABASE: props.databases.ops,
        GOLD_READ_FROM: 'published',
        RESULT_REUSE_MINUTES: String(config.api.resultReuseMinutes),
        QUERY_TIMEOUT_MS: String(config.api.queryTimeoutSeconds * 1000),
        TOKEN_KEY_SECRET_ID: this.tokenKey.secretArn,
        CORS_ALLOW_ORIGINS: config.api.corsAllowOrigins.join(','),
        CONTRACTS_DIR: '/var/task/contracts',
        POWERTOOLS_SERVICE_NAME: 'api-query',
      },
      bundledData: { data: props.data, parts: ['contracts', 'gold-contracts'] },
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })],
      }),
    );
    const table = (db: string, name: string) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/${name}` });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databases.gold }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databases.ops }),
          table(props.databases.gold, '*_published'),
          table(props.databases.ops, 'manifests'),
          table(props.databases.ops, 'runs'),
          table(props.databases.ops, 'quality_results'),
        ],
      }),
    );
    props.goldBucket.grantRead(this.function);
    props.silverBucket.grantRead(this.function, '_operations/*');
    props.resultsBucket.grantReadWrite(this.function, 'results/*');
    props.encryptionKey.grantEncryptDecrypt(this.function);
    this.tokenKey.grantRead(this.function);
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Read-only object access generated by grantRead on exactly the gold bucket and the _operations/ prefix of silver, read/write under results/ of the Athena results bucket (Athena writes the result of every query there under a query-id key), Glue reads of the *_published tables of the gold database (one per Gold contract), KMS data-key actions on the data key only, and X-Ray (Resource *).',
          appliesTo: [
            'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
            'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*',
            { regex: '/^Resource::.*(Gold|Silver|AthenaResults)[0-9A-F]{8}.*\\/(_operations\\/|results\\/)?\\*$/g' },
            arnFinding('Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table\\/.*\\/\\*_published'),
          ],
        },
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'The token key only signs short-lived page tokens (24 h); a scheduled rotation would need a rotation Lambda for no gain, and rotating it by hand (put a new value) merely invalidates open tokens.',
        },
      ],
      true,
    );
  }
}

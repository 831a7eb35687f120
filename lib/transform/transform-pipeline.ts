import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import type { StageConfig } from '../config/stage-config';
import { resourceName, transformRoleName } from '../naming';
import { PlatformFunction } from '../runtime/platform-function';
import type { PlatformData } from '../runtime/platform-data';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';
import { transformEnvironmentVariables } from '../../lambdas/transform/environment';


export interface TransformPipelineProps {
  /** The contracts and Gold SQL folders synth read; the function's bundle carries exactly those files. */
  readonly data: PlatformData;
  /** The stage's settings: memory, timeout, batch size, concurrency, file size limit, projection range. */
  readonly config: StageConfig;
  /** Bucket of the raw files the transform reads. */
  readonly bronze: IBucket;
  /** Bucket the transform writes Parquet and run manifests to. */
  readonly silver: IBucket;
  /** Bucket the transform writes rejected rows and files to. */
  readonly quarantine: IBucket;
  /** Queue of bronze ObjectCreated notifications. */
  readonly queue: IQueue;
  /** Dead-letter queue of `queue`, alarmed on. */
  readonly deadLetterQueue: IQueue;
  /** Key encrypting the PII hashing secret. */
  readonly encryptionKey: IKey;
}

/**
 * Bronze → silver: the transform Lambda (DuckDB, arm64) consuming the bronze notification queue with
 * partial batch failure reporting, the PII hashing key in Secrets Manager, least-privilege grants, and
 * an alarm when notifications land in the dead-letter queue.
 */
export class TransformPipeline extends Construct {
  readonly function: PlatformFunction;
  readonly piiKey: secretsmanager.Secret;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TransformPipelineProps) {
    super(scope, id);
    const { config } = props;
    this.piiKey = new secretsmanager.Secret(this, 'PiiKey', {
      secretName: resourceName(config, 'pii-key'),
      description: 'HMAC-SHA256 key replacing PII columns in silver; rotating it changes every hash (runbook: docs/operations.md)',
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      roleName: transformRoleName(config, Stack.of(this).region),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'medallion-platform transform: reads bronze, writes silver, quarantine and run manifests',
    });
    this.function = new PlatformFunction(this, 'Function', {
      description: 'Bronze → silver transform (DuckDB): validates every row against its data contract',
      source: PLATFORM_FUNCTIONS.transform,
      role,
      memorySize: config.transform.memoryMb,
      timeout: Duration.seconds(config.transform.timeoutSeconds),
      ephemeralStorageSize: Size.mebibytes(config.transform.ephemeralStorageMb),
      environment: {
        ...transformEnvironmentVariables({
          silverBucket: props.silver.bucketName,
          quarantineBucket: props.quarantine.bucketName,
          operationsBucket: props.silver.bucketName,
          projectionStartDate: config.catalog.projectionStartDate,
          futureHorizonDays: config.catalog.futureHorizonDays,
          maxFileBytes: config.transform.maxFileMiB * 1024 * 1024,
          piiKeySecretId: this.piiKey.secretArn,
          contractsDir: '/var/task/contracts',
        }),
        METRICS_NAMESPACE,
        POWERTOOLS_SERVICE_NAME: 'transform',
      },
      bundledData: { data: props.data, parts: ['contracts'] },
    });
    this.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.transform.batchSize,
        reportBatchItemFailures: true,
        maxBatchingWindow: Duration.seconds(1),
        // At most this many transforms at once: a burst of files waits in the queue, not in the API's share of concurrency.
        maxConcurrency: config.transform.maxConcurrency,
      }),
    );
    props.bronze.grantRead(role);
    props.silver.grantRead(role, '_operations/*');
    props.silver.grantPut(role);
    props.quarantine.grantPut(role);
    // A new version of a bronze key replaces what the previous one wrote: its silver and quarantine objects are deleted.
    props.silver.grantDelete(role);
    props.quarantine.grantDelete(role);
    this.piiKey.grantRead(role);
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Generated by bucket.grantRead/grantPut/grantDelete: object-level actions (GetObject*, List*, GetBucket*, Abort*, DeleteObject*) on the keys of exactly the bronze, silver and quarantine buckets; the transform reads any bronze key and writes any dataset/partition key, which are not known at deploy time, and deletes the silver and quarantine objects of a bronze key\'s previous version when a new one replaces it. Reads of silver are limited to the _operations/ prefix.',
          appliesTo: [
            'Action::s3:GetObject*',
            'Action::s3:DeleteObject*',
            'Action::s3:GetBucket*',
            'Action::s3:List*',
            'Action::s3:Abort*',
            // The bucket ARNs come from the storage stack; their rendering depends on the reference style.
            { regex: '/^Resource::.*(Bronze|Silver|Quarantine)[0-9A-F]{8}.*\\/(_operations\\/)?\\*$/g' },
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Generated by the grants on SSE-KMS buckets: GenerateDataKey*/ReEncrypt* on the data key only (its ARN is the resource), needed to read and write objects encrypted with it.',
          appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'X-Ray tracing (tracing: ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so AWS requires Resource *.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.piiKey, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The PII hashing key must stay stable: rotating it changes every hashed value in silver and breaks joins with history. It is rotated deliberately with a full re-hash (runbook: docs/operations.md), never on a schedule.',
      },
    ]);
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmName: resourceName(config, 'bronze-events-dlq-not-empty'),
      alarmDescription: 'Bronze notifications failed every retry and wait in the dead-letter queue: see the runbook in docs/operations.md (DLQ redrive)',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';

export interface BronzeNotificationQueueProps {
  /** The stage's settings: queue names, receive count, visibility timeout, removal policy. */
  readonly config: StageConfig;
  /** The bucket whose ObjectCreated events are queued. */
  readonly bronze: s3.IBucket;
}

/**
 * Bronze ObjectCreated notifications queued in SQS (KMS-encrypted, TLS only) with a dead-letter queue,
 * ready for the transform Lambda's event source. A message moves to the DLQ after
 * `ingest.maxReceiveCount` receives.
 *
 * The queues have a key of their own: S3 may use it only for notifications from the bronze bucket, and
 * that condition names the bucket, which is itself encrypted with the data key; one shared key would make
 * the key and the bucket depend on each other.
 */
export class BronzeNotificationQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props: BronzeNotificationQueueProps) {
    super(scope, id);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.encryptionKey = new kms.Key(this, 'Key', {
      alias: `alias/${resourceName(config, 'bronze-events')}`,
      description: `medallion-platform ${config.stage}: encrypts the bronze notification queues`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const encryption = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: this.encryptionKey, dataKeyReuse: Duration.hours(1) };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: resourceName(config, 'bronze-events-dlq'),
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: resourceName(config, 'bronze-events'),
      ...encryption,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(config.ingest.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.ingest.maxReceiveCount },
      removalPolicy,
    });
    props.bronze.addEventNotification(s3.EventType.OBJECT_CREATED, new SqsDestination(this.queue));
  }
}

import { Annotations, Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { durationInDays, type DatasetContract } from '../../lambdas/shared/contracts';
import type { StageConfig } from '../config/stage-config';
import { resourceName, transformRoleName } from '../naming';
import { BronzeNotificationQueue } from './bronze-notification-queue';
import { DataLakeBucket, type PrefixExpiration } from './data-lake-bucket';
import { pinFeatureFlags } from '../feature-flags';
import type { PlatformStorage } from '../platform-resources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** Id of the synth warning about a protected stage whose bronze no role but the transform may read. */
export const BRONZE_NO_READERS_WARNING = 'medallion:bronze-readers-none';

export interface StorageStackProps extends StackProps {
  /** The stage's settings: names, lifecycle rules, removal policy, bronze readers. */
  readonly config: StageConfig;
  /** Source contracts; a contract's retention SLA becomes a lifecycle rule on its bronze and silver prefix. */
  readonly contracts: readonly DatasetContract[];
}

/**
 * The data lake's storage: one customer-managed KMS key, the bronze, silver, gold, quarantine and
 * Athena-results buckets encrypted with it and logging to an access-log bucket, and the queue of bronze
 * ObjectCreated notifications.
 */
export class StorageStack extends Stack implements PlatformStorage {
  readonly key: kms.Key;
  readonly accessLogs: DataLakeBucket;
  readonly bronze: DataLakeBucket;
  readonly silver: DataLakeBucket;
  readonly gold: DataLakeBucket;
  readonly quarantine: DataLakeBucket;
  readonly athenaResults: DataLakeBucket;
  readonly bronzeNotifications: BronzeNotificationQueue;
  readonly bronzeQueue: IQueue;
  readonly bronzeDeadLetterQueue: IQueue;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config } = props;
    this.key = new kms.Key(this, 'DataKey', {
      alias: `alias/${resourceName(config, 'data')}`,
      description: `medallion-platform ${config.stage}: encrypts every data bucket, queue and Athena result`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const retention: PrefixExpiration[] = props.contracts
      .filter((c) => c.sla.retention)
      .map((c) => ({ prefix: `${c.name}/`, expireAfterDays: durationInDays(c.sla.retention!) }));

    this.accessLogs = new DataLakeBucket(this, 'AccessLogs', { config, purpose: 'access-logs', lifecycle: config.lifecycle.accessLogs });
    const common = { config, encryptionKey: this.key, accessLogsBucket: this.accessLogs };
    this.bronze = new DataLakeBucket(this, 'Bronze', { ...common, purpose: 'bronze', versioned: true, lifecycle: config.lifecycle.bronze, prefixExpirations: retention });
    this.silver = new DataLakeBucket(this, 'Silver', { ...common, purpose: 'silver', versioned: true, lifecycle: config.lifecycle.silver, prefixExpirations: retention });
    this.gold = new DataLakeBucket(this, 'Gold', { ...common, purpose: 'gold', versioned: true, lifecycle: config.lifecycle.gold });
    this.quarantine = new DataLakeBucket(this, 'Quarantine', { ...common, purpose: 'quarantine', lifecycle: config.lifecycle.quarantine });
    this.athenaResults = new DataLakeBucket(this, 'AthenaResults', { ...common, purpose: 'athena-results', lifecycle: config.lifecycle.athenaResults });
    // Bronze keeps PII in clear: only the transform (and the break-glass roles of the stage config) may read it.
    // The role is named, not referenced, so that this stack does not depend on the transform stack; its name
    // holds the region because IAM names are account-wide.
    const bronzeReaders = config.bronzeReaderRoleArns ?? [];
    const readers = [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${transformRoleName(config, this.region)}`, ...bronzeReaders];
    this.bronze.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheTransformReadsBronze',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bronze.arnForObjects('*')],
        conditions: { StringNotLike: { 'aws:PrincipalArn': readers } },
      }),
    );
    if (config.protected && bronzeReaders.length === 0) {
      Annotations.of(this.bronze).addWarningV2(
        BRONZE_NO_READERS_WARNING,
        `Stage '${config.stage}' is protected and its bronzeReaderRoleArns is empty: the bronze bucket policy denies s3:GetObject on bronze objects ` +
          `to every principal but the transform's role (${resourceName(config, 'transform')}-<region>), administrators included, so nobody can read raw ` +
          `bronze files (PII in clear) or query the bronze Glue tables, for forensics or to check a delivery. To allow it, list the break-glass ` +
          `IAM role ARNs (arn:aws:iam::<account>:role/<name>, no wildcards) in bronzeReaderRoleArns of stage '${config.stage}' (the platform config, e.g. medallion.config.yaml) ` +
          `and deploy the storage stack. If no one but the transform may ever read bronze, acknowledge this warning in the app ` +
          `(Annotations.of(app).acknowledgeWarning('${BRONZE_NO_READERS_WARNING}') after addPlatform).`,
      );
    }
    this.bronzeNotifications = new BronzeNotificationQueue(this, 'BronzeNotifications', { config, bronze: this.bronze });
    this.bronzeQueue = this.bronzeNotifications.queue;
    this.bronzeDeadLetterQueue = this.bronzeNotifications.deadLetterQueue;

    for (const [name, bucket] of Object.entries({ Bronze: this.bronze, Silver: this.silver, Gold: this.gold, Quarantine: this.quarantine })) {
      new CfnOutput(this, `${name}BucketName`, { value: bucket.bucketName, description: `${name} bucket` });
    }
    new CfnOutput(this, 'BronzeNotificationQueueUrl', { value: this.bronzeNotifications.queue.queueUrl });
  }
}

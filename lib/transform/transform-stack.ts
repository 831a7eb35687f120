import { Stack, type StackProps } from 'aws-cdk-lib';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';
import { TransformPipeline } from './transform-pipeline';
import type { PlatformData } from '../runtime/platform-data';
import { pinFeatureFlags } from '../feature-flags';
import { dependOnOwners, type PlatformStorage } from '../platform-resources';

export interface TransformStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  /** The stage's settings (names, sizes, alarm e-mail). */
  readonly config: StageConfig;
  /** The buckets the transform reads and writes, the notification queues it consumes, and their key. */
  readonly storage: Pick<PlatformStorage, 'key' | 'bronze' | 'silver' | 'quarantine' | 'bronzeQueue' | 'bronzeDeadLetterQueue'>;
}

/** The bronze → silver transform and its alarm topic. */
export class TransformStack extends Stack {
  readonly pipeline: TransformPipeline;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: TransformStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, storage } = props;
    // Declared first so that grants on storage resources go to this stack's policies, not to their
    // resource policies (which would make storage depend on this stack).
    dependOnOwners(this, storage.key, storage.bronze, storage.silver, storage.quarantine, storage.bronzeQueue, storage.bronzeDeadLetterQueue);
    // A key of this stack for the alarm topic and the PII secret: granting the transform role on a key of
    // the storage stack would put the role in that key's policy and make storage depend on this stack.
    // CloudWatch alarms can publish to an encrypted topic only with a customer-managed key that lets them.
    const key = new kms.Key(this, 'Key', {
      alias: `alias/${resourceName(config, 'transform')}`,
      description: `medallion-platform ${config.stage}: encrypts the alarm topic and the PII hashing key`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    // No topic name: CloudFormation names it (nobody types it; alarms and the orchestration refer to its ARN).
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      masterKey: key,
      enforceSSL: true,
    });
    this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    this.pipeline = new TransformPipeline(this, 'Transform', {
      data: props.data,
      config,
      bronze: storage.bronze,
      silver: storage.silver,
      quarantine: storage.quarantine,
      queue: storage.bronzeQueue,
      deadLetterQueue: storage.bronzeDeadLetterQueue,
      encryptionKey: key,
    });
    this.pipeline.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
  }
}

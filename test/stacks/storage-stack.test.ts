import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations as CoreAnnotations, App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../lib/config/stage-config';
import { addPlatform } from '../../lib/platform';
import { BRONZE_NO_READERS_WARNING } from '../../lib/storage/storage-stack';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev', { bundle: false });
const prod = synthesizePlatform('prod', { bundle: false });
const t = dev.storageTemplate;

const buckets = resourcesOf(t, 'AWS::S3::Bucket');
const logicalIdOf = (purpose: string): string => {
  const found = Object.entries(buckets).find(([, b]) => JSON.stringify(b.Properties.BucketName).includes(`-${purpose}`));
  if (!found) throw new Error(`no ${purpose} bucket`);
  return found[0];
};
const bucket = (purpose: string) => buckets[logicalIdOf(purpose)].Properties as Record<string, any>;
const DATA_BUCKETS = ['bronze', 'silver', 'gold', 'quarantine', 'athena-results'];

describe('storage stack', () => {
  it('has the six buckets, named from prefix, stage, purpose, account and region', () => {
    expect(Object.keys(buckets)).toHaveLength(6);
    for (const purpose of [...DATA_BUCKETS, 'access-logs']) {
      expect(bucket(purpose).BucketName).toEqual({ 'Fn::Join': ['-', [`medallion-dev-${purpose}`, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]] });
    }
  });

  it('blocks public access on every bucket', () => {
    for (const b of Object.values(buckets)) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
  });

  it('encrypts data buckets with the rotating customer-managed key and S3 bucket keys; the log bucket with SSE-S3', () => {
    const keys = resourcesOf(t, 'AWS::KMS::Key');
    const dataKey = Object.entries(keys).find(([id]) => id.startsWith('DataKey'))![0];
    for (const k of Object.values(keys)) expect(k.Properties.EnableKeyRotation).toBe(true);
    for (const purpose of DATA_BUCKETS) {
      expect(bucket(purpose).BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [dataKey, 'Arn'] } } },
        ],
      });
    }
    expect(bucket('access-logs').BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  });

  it('denies non-TLS and pre-TLS-1.2 requests on every bucket', () => {
    const policies = Object.values(resourcesOf(t, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(6);
    for (const p of policies) {
      const statements = (p.Properties.PolicyDocument as { Statement: Record<string, any>[] }).Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  it('logs access of every data bucket to the log bucket, under the bucket purpose', () => {
    const logs = logicalIdOf('access-logs');
    for (const purpose of DATA_BUCKETS) {
      expect(bucket(purpose).LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logs }, LogFilePrefix: `${purpose}/` });
    }
    expect(bucket('access-logs').LoggingConfiguration).toBeUndefined();
  });

  it('versions bronze, silver and gold only', () => {
    for (const purpose of ['bronze', 'silver', 'gold']) expect(bucket(purpose).VersioningConfiguration).toEqual({ Status: 'Enabled' });
    for (const purpose of ['quarantine', 'athena-results', 'access-logs']) expect(bucket(purpose).VersioningConfiguration).toBeUndefined();
  });

  it('applies the stage lifecycle and the contracts retention', () => {
    const rules = (purpose: string) => bucket(purpose).LifecycleConfiguration.Rules as Record<string, unknown>[];
    for (const purpose of [...DATA_BUCKETS, 'access-logs']) {
      expect(rules(purpose)[0]).toMatchObject({ Id: 'bucket-lifecycle', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } });
    }
    expect(rules('bronze')[0]).toMatchObject({ Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }], NoncurrentVersionExpiration: { NoncurrentDays: 7 } });
    expect(rules('quarantine')[0]).toMatchObject({ ExpirationInDays: 30 });
    expect(rules('athena-results')[0]).toMatchObject({ ExpirationInDays: 7 });
    const retention = rules('silver').slice(1).map((r) => [r.Id, r.Prefix, r.ExpirationInDays]);
    expect(retention).toEqual([
      ['retention-events', 'events/', 730],
      ['retention-pays', 'pays/', 1095],
      ['retention-prints', 'prints/', 1095],
      ['retention-taps', 'taps/', 1095],
      ['retention-transactions', 'transactions/', 2555],
      ['retention-users', 'users/', 2555],
    ]);
    expect(rules('bronze').slice(1).map((r) => r.Prefix)).toEqual(['events/', 'pays/', 'prints/', 'taps/', 'transactions/', 'users/']);
    expect(rules('gold')).toHaveLength(1);
  });

  it('queues bronze ObjectCreated notifications in a KMS-encrypted queue with a dead-letter queue', () => {
    const queues = resourcesOf(t, 'AWS::SQS::Queue');
    const [queueId, queue] = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'medallion-dev-bronze-events')!;
    const [dlqId] = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'medallion-dev-bronze-events-dlq')!;
    const keyId = Object.keys(resourcesOf(t, 'AWS::KMS::Key')).find((id) => id.startsWith('BronzeNotificationsKey'))!;
    expect(queue.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      VisibilityTimeout: 1800,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
    });
    expect(queues[dlqId].Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, MessageRetentionPeriod: 1209600 });
    t.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalIdOf('bronze') },
      NotificationConfiguration: { QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] } }] },
    });
    // Only the bronze bucket may send, and only over TLS.
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf('bronze'), 'Arn'] } } } }),
        ]),
      },
    });
  });

  it('dev destroys and empties buckets on deletion because its config says so', () => {
    for (const b of Object.values(buckets)) expect(b.DeletionPolicy).toBe('Delete');
    expect(Object.keys(resourcesOf(t, 'Custom::S3AutoDeleteObjects'))).toHaveLength(6);
  });

  it('prod retains every bucket, key and queue and never auto-deletes', () => {
    const p = prod.storageTemplate;
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::SQS::Queue']) {
      for (const r of Object.values(resourcesOf(p, type))) expect(r.DeletionPolicy).toBe('Retain');
    }
    expect(Object.keys(resourcesOf(p, 'Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    expect(prod.storage.terminationProtection).toBe(true);
    const bronze = Object.values(resourcesOf(p, 'AWS::S3::Bucket')).find((b) => JSON.stringify(b.Properties.BucketName).includes('-bronze'))!;
    expect((bronze.Properties as any).LifecycleConfiguration.Rules[0]).toMatchObject({
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    });
  });

  describe('bronze readers (bronzeReaderRoleArns)', () => {
    const readerWarnings = (stack: Parameters<typeof Annotations.fromStack>[0]) =>
      Annotations.fromStack(stack)
        .findWarning('*', Match.stringLikeRegexp('bronzeReaderRoleArns'))
        .map((w) => [w.id, w.entry.data]);
    const PROD_WARNING =
      "Stage 'prod' is protected and its bronzeReaderRoleArns is empty: the bronze bucket policy denies s3:GetObject on bronze objects to every principal but the transform's role (medallion-prod-transform-<region>), administrators included, so nobody can read raw bronze files (PII in clear) or query the bronze Glue tables, for forensics or to check a delivery. To allow it, list the break-glass IAM role ARNs (arn:aws:iam::<account>:role/<name>, no wildcards) in bronzeReaderRoleArns of stage 'prod' (the platform config, e.g. medallion.config.yaml) and deploy the storage stack. If no one but the transform may ever read bronze, acknowledge this warning in the app (Annotations.of(app).acknowledgeWarning('medallion:bronze-readers-none') after addPlatform). [ack: medallion:bronze-readers-none]";

    it('warns at synth when a protected stage names none, saying what it means and how to fix it', () => {
      expect(readerWarnings(prod.storage)).toEqual([['/medallion-prod-storage/Bronze', PROD_WARNING]]);
    });

    it('does not warn on an unprotected stage', () => {
      expect(readerWarnings(dev.storage)).toEqual([]);
    });

    it('does not warn when the protected stage names readers, who are then allowed next to the transform', () => {
      const reader = 'arn:aws:iam::123456789012:role/forensics/bronze-break-glass';
      const { storage, storageTemplate } = synthesizePlatform('prod', { stages: { prod: { ...STAGES.prod, bronzeReaderRoleArns: [reader] } }, bundle: false });
      expect(readerWarnings(storage)).toEqual([]);
      const policy = Object.values(resourcesOf(storageTemplate, 'AWS::S3::BucketPolicy')).flatMap((p) => (p.Properties.PolicyDocument as any).Statement as any[]).find((st) => st.Sid === 'OnlyTheTransformReadsBronze');
      expect(policy.Condition.StringNotLike['aws:PrincipalArn']).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/medallion-prod-transform-', { Ref: 'AWS::Region' }]] },
        reader,
      ]);
    });

    it('can be acknowledged by the app when no one may read bronze', () => {
      const context = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
      const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
      const { storage } = addPlatform(app, { stage: 'prod', nag: false });
      CoreAnnotations.of(app).acknowledgeWarning(BRONZE_NO_READERS_WARNING);
      expect(readerWarnings(storage)).toEqual([]);
    });
  });
});

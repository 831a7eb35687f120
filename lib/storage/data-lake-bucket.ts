import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { LifecycleConfig, StageConfig } from '../config/stage-config';
import { bucketName, type BucketPurpose } from '../naming';

/** A lifecycle rule limited to a key prefix, such as one dataset's retention. */
export interface PrefixExpiration {
  /** Key prefix the rule applies to, e.g. `prints/`. */
  readonly prefix: string;
  /** Days after which objects under the prefix are deleted. */
  readonly expireAfterDays: number;
}

export interface DataLakeBucketProps {
  /** The stage's settings: bucket name, removal policy, multipart cleanup. */
  readonly config: StageConfig;
  /** What the bucket holds; part of its name. */
  readonly purpose: BucketPurpose;
  /**
   * Customer-managed key for SSE-KMS with S3 bucket keys.
   * @default SSE-S3 (only for the access-log bucket: S3 delivers server access logs to SSE-S3 buckets only)
   */
  readonly encryptionKey?: IKey;
  /** Keep every version of every object. @default false */
  readonly versioned?: boolean;
  /** Lifecycle of the whole bucket. @default no transition or expiration */
  readonly lifecycle?: LifecycleConfig;
  /** Extra expirations by key prefix (dataset retention from contracts). @default none */
  readonly prefixExpirations?: readonly PrefixExpiration[];
  /**
   * Bucket receiving this bucket's server access logs under `<purpose>/`.
   * @default no access logging (only for the access-log bucket itself)
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/**
 * An S3 bucket with the platform's non-negotiable defaults: Block Public Access, TLS 1.2+ only, bucket
 * owner enforced, abort of incomplete multipart uploads, a stage-derived name, and removal as the stage
 * allows. Encryption, versioning, logging and lifecycle come from props.
 */
export class DataLakeBucket extends s3.Bucket {
  readonly purpose: BucketPurpose;

  constructor(scope: Construct, id: string, props: DataLakeBucketProps) {
    const { config } = props;
    const destroy = config.removalPolicy === 'destroy';
    super(scope, id, {
      bucketName: bucketName(config, props.purpose),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      versioned: props.versioned ?? false,
      ...(props.accessLogsBucket ? { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: `${props.purpose}/` } : {}),
      lifecycleRules: lifecycleRules(config, props),
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: destroy && config.autoDeleteObjects,
    });
    this.purpose = props.purpose;
  }
}

function lifecycleRules(config: StageConfig, props: DataLakeBucketProps): s3.LifecycleRule[] {
  const l = props.lifecycle ?? {};
  const rules: s3.LifecycleRule[] = [
    {
      id: 'bucket-lifecycle',
      abortIncompleteMultipartUploadAfter: Duration.days(config.abortIncompleteMultipartUploadDays),
      ...(l.expireAfterDays !== undefined ? { expiration: Duration.days(l.expireAfterDays) } : {}),
      ...(l.noncurrentVersionExpirationDays !== undefined ? { noncurrentVersionExpiration: Duration.days(l.noncurrentVersionExpirationDays) } : {}),
      ...(l.transitionToGlacierIrAfterDays !== undefined
        ? { transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(l.transitionToGlacierIrAfterDays) }] }
        : {}),
    },
  ];
  for (const p of props.prefixExpirations ?? []) {
    rules.push({ id: `retention-${p.prefix.replace(/\/$/, '')}`, prefix: p.prefix, expiration: Duration.days(p.expireAfterDays) });
  }
  return rules;
}

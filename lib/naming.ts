import { Aws, Fn, Token } from 'aws-cdk-lib';
import type { StageConfig } from './config/stage-config';

/** Longest region name we allow for when the region is only known at deploy time (e.g. ap-southeast-5 + margin). */
const WORST_CASE_REGION_LENGTH = 16;
const ACCOUNT_ID_LENGTH = 12;

export const BUCKET_PURPOSES = ['bronze', 'silver', 'gold', 'quarantine', 'athena-results', 'access-logs'] as const;
export type BucketPurpose = (typeof BUCKET_PURPOSES)[number];

/**
 * Checks a bucket name against S3's general-purpose rules: 3-63 characters; lower case letters, digits,
 * hyphens and dots; starts and ends with a letter or digit; no `..`; not an IP address; no reserved prefix
 * or suffix.
 * @returns the broken rules, empty when the name is valid.
 */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 3 || name.length > 63) problems.push(`is ${name.length} characters long; S3 allows 3 to 63`);
  if (!/^[a-z0-9.-]+$/.test(name)) problems.push('may contain only lower case letters, digits, hyphens and dots');
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) problems.push('must start and end with a letter or digit');
  if (name.includes('..')) problems.push('must not contain two adjacent dots');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push('must not look like an IP address');
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) problems.push('must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)');
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) problems.push('must not end with a reserved suffix');
  return problems;
}

/**
 * The bucket name for a purpose: `<prefix>-<stage>-<purpose>-<account>-<region>`, unique per account,
 * region and stage. Account and region may be deploy-time tokens; the length check then assumes the
 * longest values.
 */
export function bucketName(config: StageConfig, purpose: BucketPurpose, account: string = Aws.ACCOUNT_ID, region: string = Aws.REGION): string {
  const head = `${config.namePrefix}-${config.stage}-${purpose}`;
  const sample = `${head}-${Token.isUnresolved(account) ? '1'.repeat(ACCOUNT_ID_LENGTH) : account}-${Token.isUnresolved(region) ? 'a'.repeat(WORST_CASE_REGION_LENGTH) : region}`;
  const problems = bucketNameProblems(sample);
  if (problems.length > 0) {
    throw new Error(`Bucket name '${sample}' (prefix '${config.namePrefix}', stage '${config.stage}', purpose '${purpose}') ${problems.join('; ')}. Shorten namePrefix or the stage name in the platform config (e.g. medallion.config.yaml).`);
  }
  if (Token.isUnresolved(account) || Token.isUnresolved(region)) return Fn.join('-', [head, account, region]);
  return `${head}-${account}-${region}`;
}

/** Glue database name for a layer: `<prefix>_<stage>_<layer>` (Glue names take no hyphens in Athena SQL). */
export function glueDatabaseName(config: StageConfig, layer: string): string {
  return `${config.namePrefix}_${config.stage}_${layer}`.replace(/-/g, '_');
}

/** Name of a stage-scoped resource other than a bucket: `<prefix>-<stage>-<suffix>`. */
export function resourceName(config: StageConfig, suffix: string): string {
  return `${config.namePrefix}-${config.stage}-${suffix}`;
}

/**
 * Name of the transform Lambda's role: `<prefix>-<stage>-transform-<region>`. It is fixed so that the bronze
 * bucket policy (storage stack) can name it: a reference to the role would make the storage stack depend on
 * the transform stack, which depends on storage. IAM names are account-wide, hence the region: the same
 * stage in two regions of one account gets two roles. At most 58 characters (prefix 20, stage 10, region
 * 16), within IAM's 64. The region may be a deploy-time token.
 */
export function transformRoleName(config: StageConfig, region: string = Aws.REGION): string {
  return `${resourceName(config, 'transform')}-${region}`;
}

/**
 * Name of the stage's CloudWatch dashboard: `<prefix>-<stage>-platform-<region>`. Dashboards are global
 * (one namespace per account, whatever the region), so the region is part of the name. The region may be a
 * deploy-time token.
 */
export function dashboardName(config: StageConfig, region: string = Aws.REGION): string {
  return `${resourceName(config, 'platform')}-${region}`;
}

import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * SDK clients shared by the handlers of one container. Endpoints come from the standard SDK settings
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, …); `AWS_S3_FORCE_PATH_STYLE=true` selects path-style S3
 * addressing for S3-compatible endpoints that have no per-bucket host names.
 */
let s3: S3Client | undefined;
let s3Presigner: S3Client | undefined;
let secrets: SecretsManagerClient | undefined;
let ssm: SSMClient | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true', maxAttempts: 5 });
  return s3;
}

/**
 * The S3 client that signs presigned URLs. It computes no request checksum unless an operation requires
 * one: with the SDK's default (`requestChecksumCalculation: WHEN_SUPPORTED`, since 3.729) a presigned
 * PutObject URL carries `x-amz-checksum-crc32` of the empty body it was signed with, and S3 rejects an
 * upload of any other content against it.
 */
export function s3PresignClient(): S3Client {
  s3Presigner ??= new S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true', requestChecksumCalculation: 'WHEN_REQUIRED' });
  return s3Presigner;
}

export function secretsClient(): SecretsManagerClient {
  secrets ??= new SecretsManagerClient({});
  return secrets;
}

export function ssmClient(): SSMClient {
  ssm ??= new SSMClient({});
  return ssm;
}

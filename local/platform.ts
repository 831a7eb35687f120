import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { StageConfig } from '../lib/config/stage-config';
import { localProject } from './project';
import { bucketName, resourceName, type BucketPurpose } from '../lib/naming';
import { startEmulator, type Emulator } from './emulator';
import { transformEnvironmentVariables } from '../lambdas/transform/environment';
import { defaultContractsDir } from '../lambdas/shared/contracts';
import { readSavedData, restoreData, saveData, type RestoredBronze } from './persist';

/** Account and region the local platform pretends to be in; only names depend on them. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface LocalPlatform {
  readonly emulator: Emulator;
  readonly config: StageConfig;
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** Environment the handlers run with, as the CDK stacks set it in AWS. */
  readonly handlerEnv: Readonly<Record<string, string>>;
  /** Objects put back from saved data at start (see `LocalPlatformOptions.dataDir`); 0 when none. */
  readonly restored: number;
  /** Saves the data buckets' objects and the PII key into `dir` (see local/persist.ts). @returns the number of objects saved */
  save(dir: string): Promise<number>;
  close(): Promise<void>;
}

export interface LocalPlatformOptions {
  /** An emulator already running (LocalStack, moto); default: start moto. */
  readonly endpoint?: string;
  /** Stage whose config names and sizes the resources. @default the project's (see localProject) */
  readonly stage?: string;
  /**
   * Folder of data saved by a previous platform (`save`): its objects and PII key are put back before the
   * platform is handed out, without processing again what was processed. @default nothing restored
   */
  readonly dataDir?: string;
}

/** SDK client settings for the local emulator at `endpoint` (region and test credentials). */
export function clientConfig(endpoint: string) {
  return { endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/**
 * Starts (or connects to) an AWS emulator and creates in it what the storage stack creates in AWS: the
 * buckets with their names and versioning, the bronze notification queue with its dead-letter queue and
 * redrive count, the ObjectCreated notification, and the PII hashing secret. Names and settings come from
 * the same stage config and naming functions as the CDK stacks.
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  // The project's config file and stage, its contracts and SQL checked first: a mistake fails here, before the emulator starts.
  const { config } = localProject(options.stage);
  const saved = options.dataDir ? readSavedData(options.dataDir) : undefined;
  if (saved && saved.stage !== config.stage) {
    throw new Error(`the data saved in ${options.dataDir} is of stage '${saved.stage}', this platform's is '${config.stage}': pass --stage ${saved.stage}, another --state folder, or remove it (\`local down --purge\`)`);
  }
  const emulator = await startEmulator(options.endpoint ?? process.env.AWS_ENDPOINT_URL);
  const s3 = new S3Client({ ...clientConfig(emulator.endpoint), forcePathStyle: true });
  const sqs = new SQSClient(clientConfig(emulator.endpoint));
  const secrets = new SecretsManagerClient(clientConfig(emulator.endpoint));
  try {
    const purposes: BucketPurpose[] = ['bronze', 'silver', 'gold', 'quarantine', 'athena-results', 'access-logs'];
    const buckets = Object.fromEntries(purposes.map((p) => [p, bucketName(config, p, LOCAL_ACCOUNT, LOCAL_REGION)])) as Record<BucketPurpose, string>;
    for (const purpose of purposes) {
      await s3.send(new CreateBucketCommand({ Bucket: buckets[purpose] })).catch((e: Error) => {
        if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.name)) throw e;
      });
      if (['bronze', 'silver', 'gold'].includes(purpose)) {
        await s3.send(new PutBucketVersioningCommand({ Bucket: buckets[purpose], VersioningConfiguration: { Status: 'Enabled' } }));
      }
    }
    // Saved objects go back before the notification exists: what was processed is not processed again.
    const restoredBronze: RestoredBronze = new Map();
    let restored = saved ? await restoreData(s3, buckets, options.dataDir!, saved, 'processed', restoredBronze) : 0;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: resourceName(config, 'bronze-events-dlq') }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: resourceName(config, 'bronze-events'),
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: config.ingest.maxReceiveCount }),
          // Locally a failed message is retried at once instead of after the deployed visibility timeout.
          VisibilityTimeout: '0',
        },
      }),
    );
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: buckets.bronze,
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    // Bronze files saved before the transform got to them are dropped again, now notified.
    if (saved) restored += await restoreData(s3, buckets, options.dataDir!, saved, 'unprocessed', restoredBronze);
    const secretName = resourceName(config, 'pii-key');
    await secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: saved?.piiKey ?? randomBytes(32).toString('hex') })).catch((e: unknown) => {
      if (!(e instanceof ResourceExistsException)) throw e;
    });
    const handlerEnv = {
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...transformEnvironmentVariables({
        silverBucket: buckets.silver,
        quarantineBucket: buckets.quarantine,
        operationsBucket: buckets.silver,
        projectionStartDate: config.catalog.projectionStartDate,
        futureHorizonDays: config.catalog.futureHorizonDays,
        maxFileBytes: config.transform.maxFileMiB * 1024 * 1024,
        piiKeySecretId: secretName,
        contractsDir: defaultContractsDir(),
      }),
      WORK_DIR: mkdtempSync(join(tmpdir(), 'medallion-work-')),
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    };
    return {
      emulator,
      config,
      buckets,
      queueUrl: queue.QueueUrl!,
      deadLetterQueueUrl: dlq.QueueUrl!,
      s3,
      sqs,
      handlerEnv,
      restored,
      save: async (dir: string) => {
        const key = (await secrets.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString!;
        return saveData(s3, buckets, config.stage, key, dir, restoredBronze);
      },
      close: async () => {
        rmSync(handlerEnv.WORK_DIR, { recursive: true, force: true });
        s3.destroy();
        sqs.destroy();
        secrets.destroy();
        await emulator.close();
      },
    };
  } catch (e) {
    await emulator.close();
    throw e;
  }
}

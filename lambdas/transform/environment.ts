import { tmpdir } from 'node:os';
import { requiredEnv } from '../shared/env';
import type { TransformSettings } from './process-object';

/**
 * The transform's environment, in one place: the construct writes it (lib/transform/transform-pipeline.ts),
 * the local platform sets it (local/platform.ts), and the handler reads it back with `transformSettings`.
 */
export interface TransformEnvironment {
  readonly silverBucket: string;
  readonly quarantineBucket: string;
  /** Bucket holding `_operations/` (run manifests, content claims, key states). */
  readonly operationsBucket: string;
  /** First day of the silver partition projection (YYYY-MM-DD). */
  readonly projectionStartDate: string;
  /** Days after processing an event may lie. */
  readonly futureHorizonDays: number;
  /** Largest decoded size of one source file, in bytes. */
  readonly maxFileBytes: number;
  /** Secrets Manager id (name or ARN) of the PII hashing key. */
  readonly piiKeySecretId: string;
  /** Folder of the contracts bundled with the function. */
  readonly contractsDir: string;
}

/** The variables of a transform environment. */
export function transformEnvironmentVariables(e: TransformEnvironment): Record<string, string> {
  return {
    SILVER_BUCKET: e.silverBucket,
    QUARANTINE_BUCKET: e.quarantineBucket,
    OPERATIONS_BUCKET: e.operationsBucket,
    PROJECTION_START_DATE: e.projectionStartDate,
    FUTURE_HORIZON_DAYS: String(e.futureHorizonDays),
    MAX_FILE_BYTES: String(e.maxFileBytes),
    PII_KEY_SECRET_ID: e.piiKeySecretId,
    CONTRACTS_DIR: e.contractsDir,
  };
}

/** The handler's settings from the variables `transformEnvironmentVariables` wrote (`WORK_DIR` locally; /tmp in Lambda). */
export function transformSettings(env: NodeJS.ProcessEnv = process.env): TransformSettings {
  return {
    silverBucket: requiredEnv('SILVER_BUCKET', env),
    quarantineBucket: requiredEnv('QUARANTINE_BUCKET', env),
    operationsBucket: requiredEnv('OPERATIONS_BUCKET', env),
    projectionStartDate: requiredEnv('PROJECTION_START_DATE', env),
    futureHorizonDays: Number(env.FUTURE_HORIZON_DAYS ?? 1),
    ...(env.MAX_FILE_BYTES ? { maxTextBytes: Number(env.MAX_FILE_BYTES) } : {}),
    workDir: env.WORK_DIR ?? tmpdir(),
  };
}

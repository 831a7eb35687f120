/**
 * Per-stage settings. Everything a platform engineer tunes between dev and prod lives here, typed and
 * validated before any construct is created, so a bad value fails `cdk synth` with a message instead of a
 * half-deployed stack.
 */

/** Lifecycle of one bucket. Every field is in days. */
export interface LifecycleConfig {
  /** Move current objects to S3 Glacier Instant Retrieval after this many days. @default never */
  readonly transitionToGlacierIrAfterDays?: number;
  /** Delete current objects after this many days. @default never */
  readonly expireAfterDays?: number;
  /** Delete noncurrent versions after this many days (versioned buckets only). @default never */
  readonly noncurrentVersionExpirationDays?: number;
}

/** The HTTP API of a stage (API Gateway REST API in front of the query and ingest functions). */
export interface ApiConfig {
  /**
   * `iam`: every method requires AWS SigV4 (IAM authorization, `execute-api:Invoke`). `api-key`: methods
   * require an API key (`x-api-key`) of the stage's usage plan instead.
   */
  readonly authorization: 'iam' | 'api-key';
  /** Steady-state requests per second of the stage (API Gateway stage throttling); the usage plan uses it too. */
  readonly throttleRateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly throttleBurstLimit: number;
  /** Requests per period per API key (usage plan quota; applies with `authorization: 'api-key'`). */
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  /** Origins allowed by CORS (`https://app.example.com`, or `*` on unprotected stages); empty: no CORS. */
  readonly corsAllowOrigins: readonly string[];
  /** How long a request waits for Athena before answering 504 with a queryId; under API Gateway's 29 s. */
  readonly queryTimeoutSeconds: number;
  /** Athena result reuse: the same query within this many minutes reads the earlier result; 0 turns it off. */
  readonly resultReuseMinutes: number;
  /**
   * Let this stage set the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`, with a
   * role of this stack, kept when the stack is deleted). API Gateway writes every stage's access and error
   * logs through the one role of the account's API Gateway settings in a region, so setting it is an
   * account-wide change that may overwrite what an organisation manages: off by default. Then the role must
   * already be set in the account and region (`aws apigateway get-account` shows `cloudwatchRoleArn`), or
   * the API stack fails to deploy ("CloudWatch Logs role ARN must be set in account settings"); see the
   * docs/operations.md (*Deploying to AWS*). Turn it on for at most one stage per account and region.
   * @default false
   */
  readonly manageAccountCloudWatchRole?: boolean;
}

export interface StageConfig {
  /** Stage name, part of every resource name. */
  readonly stage: string;
  /** Prefix of every resource name: lower case letters, digits and hyphens. */
  readonly namePrefix: string;
  /**
   * `retain` keeps buckets, keys and queues when the stack is deleted; `destroy` deletes them with it.
   * A stage marked `protected` can only retain.
   */
  readonly removalPolicy: 'retain' | 'destroy';
  /** Empty buckets on stack deletion (needs removalPolicy `destroy`). */
  readonly autoDeleteObjects: boolean;
  /** Refuses destructive settings; set on production. */
  readonly protected: boolean;
  /** Abort incomplete multipart uploads after this many days, on every bucket. */
  readonly abortIncompleteMultipartUploadDays: number;
  readonly lifecycle: {
    readonly bronze: LifecycleConfig;
    readonly silver: LifecycleConfig;
    readonly gold: LifecycleConfig;
    readonly quarantine: LifecycleConfig;
    readonly athenaResults: LifecycleConfig;
    readonly accessLogs: LifecycleConfig;
  };
  readonly ingest: {
    /** Receives of a bronze notification before it moves to the dead-letter queue. */
    readonly maxReceiveCount: number;
    /** Visibility timeout of the notification queue; at least 6 × the transform Lambda timeout. */
    readonly visibilityTimeoutSeconds: number;
  };
  readonly transform: {
    /** Memory of the transform Lambda in MB (also sizes DuckDB, which takes 60% of it). */
    readonly memoryMb: number;
    /** Timeout of the transform Lambda; the queue's visibility timeout must be at least 6 times it. */
    readonly timeoutSeconds: number;
    /** Ephemeral /tmp storage in MB: holds the decompressed source file and DuckDB's spill files. */
    readonly ephemeralStorageMb: number;
    /** Messages per invocation (1-10). */
    readonly batchSize: number;
    /**
     * Most concurrent transform invocations the SQS event source starts (its `ScalingConfig.MaximumConcurrency`;
     * AWS allows 2–1000). A burst of files then waits in the queue instead of taking the account's Lambda
     * concurrency from the API and other functions; messages waiting for a free slot are not received, so
     * they do not count towards `ingest.maxReceiveCount`. Each invocation takes `memoryMb` of memory.
     */
    readonly maxConcurrency: number;
    /**
     * Largest decoded (decompressed) size of one source file, in MiB. A larger file is quarantined whole,
     * with its records counted, instead of filling /tmp. At most 40% of `ephemeralStorageMb`: the rest
     * holds the Parquet output and DuckDB's spill files.
     */
    readonly maxFileMiB: number;
  };
  readonly athena: {
    /** Per-query cutoff of bytes scanned; Athena's minimum is 10 MB. */
    readonly bytesScannedCutoffPerQuery: number;
  };
  readonly catalog: {
    /** First day of the silver partition projection (YYYY-MM-DD); events before it are quarantined. */
    readonly projectionStartDate: string;
    /**
     * How many days after processing an event time may be. The partition projection reaches as far
     * (`NOW+<n>DAYS`), so every accepted row is queryable; later events are quarantined with their reason.
     */
    readonly futureHorizonDays: number;
  };
  readonly api: ApiConfig;
  /**
   * IAM roles that may read bronze objects besides the transform (break-glass forensics, querying the bronze
   * tables). Bronze holds PII in clear: its bucket policy denies `s3:GetObject` and `s3:GetObjectVersion` to
   * every other principal, administrators included. Each entry is a role ARN as IAM shows it, with its path
   * (`arn:aws:iam::<account>:role/<path/><name>`), without wildcards. A protected stage that names none gets a
   * synth warning.
   * @default [] (only the transform reads bronze)
   */
  readonly bronzeReaderRoleArns?: readonly string[];
  /** Where alarms are e-mailed. */
  readonly alarmEmail: string;
  readonly orchestration: {
    /**
     * When EventBridge Scheduler starts the gold-build state machine (quality gate, then Gold for the
     * latest data), in UTC: `cron(minutes hours day-of-month month day-of-week year)` or `rate(n unit)`.
     */
    readonly scheduleExpression: string;
  };
}

const GIB = 1024 ** 3;

export const STAGES: Readonly<Record<string, StageConfig>> = {
  dev: {
    stage: 'dev',
    namePrefix: 'medallion',
    removalPolicy: 'destroy',
    autoDeleteObjects: true,
    protected: false,
    abortIncompleteMultipartUploadDays: 1,
    lifecycle: {
      bronze: { transitionToGlacierIrAfterDays: 30, noncurrentVersionExpirationDays: 7 },
      silver: { noncurrentVersionExpirationDays: 7 },
      gold: { noncurrentVersionExpirationDays: 7 },
      quarantine: { expireAfterDays: 30 },
      athenaResults: { expireAfterDays: 7 },
      accessLogs: { expireAfterDays: 30 },
    },
    ingest: { maxReceiveCount: 3, visibilityTimeoutSeconds: 1800 },
    transform: { memoryMb: 3008, timeoutSeconds: 300, ephemeralStorageMb: 10240, batchSize: 10, maxConcurrency: 5, maxFileMiB: 4096 },
    athena: { bytesScannedCutoffPerQuery: 10 * GIB },
    catalog: { projectionStartDate: '2000-01-01', futureHorizonDays: 1 },
    api: {
      authorization: 'iam',
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      quota: { limit: 100_000, period: 'DAY' },
      corsAllowOrigins: ['*'],
      queryTimeoutSeconds: 20,
      resultReuseMinutes: 60,
    },
    bronzeReaderRoleArns: [],
    alarmEmail: 'data-platform-dev@example.com',
    orchestration: { scheduleExpression: 'cron(0 6 * * ? *)' },
  },
  prod: {
    stage: 'prod',
    namePrefix: 'medallion',
    removalPolicy: 'retain',
    autoDeleteObjects: false,
    protected: true,
    abortIncompleteMultipartUploadDays: 7,
    lifecycle: {
      bronze: { transitionToGlacierIrAfterDays: 90, noncurrentVersionExpirationDays: 90 },
      silver: { noncurrentVersionExpirationDays: 30 },
      gold: { noncurrentVersionExpirationDays: 30 },
      quarantine: { expireAfterDays: 365 },
      athenaResults: { expireAfterDays: 30 },
      accessLogs: { expireAfterDays: 365 },
    },
    ingest: { maxReceiveCount: 5, visibilityTimeoutSeconds: 1800 },
    transform: { memoryMb: 3008, timeoutSeconds: 300, ephemeralStorageMb: 10240, batchSize: 10, maxConcurrency: 50, maxFileMiB: 4096 },
    athena: { bytesScannedCutoffPerQuery: 100 * GIB },
    catalog: { projectionStartDate: '2000-01-01', futureHorizonDays: 1 },
    api: {
      authorization: 'iam',
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      quota: { limit: 1_000_000, period: 'DAY' },
      corsAllowOrigins: [],
      queryTimeoutSeconds: 20,
      resultReuseMinutes: 60,
    },
    bronzeReaderRoleArns: [],
    alarmEmail: 'data-platform-oncall@example.com',
    orchestration: { scheduleExpression: 'cron(0 6 * * ? *)' },
  },
};

export class StageConfigError extends Error {
  readonly code = 'INVALID_STAGE_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

function positiveInteger(value: number | undefined, field: string, problems: string[], min = 1): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    problems.push(`${field} must be a whole number ≥ ${min}, got ${value}`);
  }
}

/**
 * Checks an EventBridge Scheduler expression: `rate(<n> minute(s)|hour(s)|day(s))` or a six-field
 * `cron(…)` whose day-of-month or day-of-week is `?`. @returns the problem, undefined when valid.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return `'${expression}': the rate must be at least 1`;
    if ((n === 1) !== !rate[2].endsWith('s')) return `'${expression}': write rate(1 ${rate[2].replace(/s$/, '')}) or rate(${Math.max(n, 2)} ${rate[2].replace(/s?$/, 's')})`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return `'${expression}' is neither rate(…) nor cron(…); e.g. 'cron(0 6 * * ? *)' for 06:00 UTC daily`;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return `'${expression}' has ${fields.length} fields; cron takes 6: minutes hours day-of-month month day-of-week year`;
  if (!fields.every((f) => /^[0-9A-Za-z*?,/#L W-]+$/.test(f))) return `'${expression}' has characters cron does not accept`;
  if ((fields[2] === '?') === (fields[4] === '?')) return `'${expression}': exactly one of day-of-month and day-of-week must be '?'`;
  return undefined;
}

/** Returns the problems of a stage config, empty when it is valid. */
export function validateStageConfig(c: StageConfig): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9]{0,9}$/.test(c.stage)) problems.push(`stage '${c.stage}' must be 1-10 lower case letters or digits, starting with a letter`);
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(c.namePrefix) || c.namePrefix.endsWith('-')) {
    problems.push(`namePrefix '${c.namePrefix}' must be 1-20 lower case letters, digits or hyphens, starting with a letter and not ending with a hyphen`);
  }
  if (c.protected && c.removalPolicy !== 'retain') problems.push(`removalPolicy is '${c.removalPolicy}' but stage '${c.stage}' is protected; use 'retain'`);
  if (c.autoDeleteObjects && c.removalPolicy !== 'destroy') problems.push(`autoDeleteObjects needs removalPolicy 'destroy'`);
  if (c.protected && c.autoDeleteObjects) problems.push(`autoDeleteObjects is on but stage '${c.stage}' is protected`);
  positiveInteger(c.abortIncompleteMultipartUploadDays, 'abortIncompleteMultipartUploadDays', problems);
  for (const [bucket, l] of Object.entries(c.lifecycle)) {
    positiveInteger(l.transitionToGlacierIrAfterDays, `lifecycle.${bucket}.transitionToGlacierIrAfterDays`, problems, 0);
    positiveInteger(l.expireAfterDays, `lifecycle.${bucket}.expireAfterDays`, problems);
    positiveInteger(l.noncurrentVersionExpirationDays, `lifecycle.${bucket}.noncurrentVersionExpirationDays`, problems);
    if (l.expireAfterDays !== undefined && l.transitionToGlacierIrAfterDays !== undefined && l.expireAfterDays <= l.transitionToGlacierIrAfterDays) {
      problems.push(`lifecycle.${bucket}: expireAfterDays (${l.expireAfterDays}) must be later than transitionToGlacierIrAfterDays (${l.transitionToGlacierIrAfterDays})`);
    }
  }
  if (c.lifecycle.accessLogs.noncurrentVersionExpirationDays !== undefined) problems.push('lifecycle.accessLogs.noncurrentVersionExpirationDays: the access-log bucket is not versioned');
  if (c.lifecycle.quarantine.noncurrentVersionExpirationDays !== undefined) problems.push('lifecycle.quarantine.noncurrentVersionExpirationDays: the quarantine bucket is not versioned');
  if (c.lifecycle.athenaResults.noncurrentVersionExpirationDays !== undefined) problems.push('lifecycle.athenaResults.noncurrentVersionExpirationDays: the Athena results bucket is not versioned');
  positiveInteger(c.ingest.maxReceiveCount, 'ingest.maxReceiveCount', problems);
  if (!Number.isInteger(c.ingest.visibilityTimeoutSeconds) || c.ingest.visibilityTimeoutSeconds < 30 || c.ingest.visibilityTimeoutSeconds > 43200) {
    problems.push(`ingest.visibilityTimeoutSeconds must be 30..43200, got ${c.ingest.visibilityTimeoutSeconds}`);
  }
  const t = c.transform;
  if (!Number.isInteger(t.memoryMb) || t.memoryMb < 512 || t.memoryMb > 10240) problems.push(`transform.memoryMb must be 512..10240, got ${t.memoryMb}`);
  if (!Number.isInteger(t.timeoutSeconds) || t.timeoutSeconds < 10 || t.timeoutSeconds > 900) problems.push(`transform.timeoutSeconds must be 10..900, got ${t.timeoutSeconds}`);
  if (!Number.isInteger(t.ephemeralStorageMb) || t.ephemeralStorageMb < 512 || t.ephemeralStorageMb > 10240) problems.push(`transform.ephemeralStorageMb must be 512..10240, got ${t.ephemeralStorageMb}`);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1 || t.batchSize > 10) problems.push(`transform.batchSize must be 1..10, got ${t.batchSize}`);
  if (!Number.isInteger(t.maxConcurrency) || t.maxConcurrency < 2 || t.maxConcurrency > 1000) {
    problems.push(`transform.maxConcurrency must be a whole number 2..1000 (the SQS event source's maximum concurrency), got ${t.maxConcurrency}`);
  }
  if (!Number.isInteger(t.maxFileMiB) || t.maxFileMiB < 1 || t.maxFileMiB > Math.floor(t.ephemeralStorageMb * 0.4)) {
    problems.push(`transform.maxFileMiB must be 1..${Math.floor(t.ephemeralStorageMb * 0.4)} (40% of transform.ephemeralStorageMb), got ${t.maxFileMiB}`);
  }
  const horizon = c.catalog.futureHorizonDays;
  if (!Number.isInteger(horizon) || horizon < 0 || horizon > 3660) problems.push(`catalog.futureHorizonDays must be a whole number of days 0..3660, got ${horizon}`);
  if (c.ingest.visibilityTimeoutSeconds < 6 * t.timeoutSeconds) {
    problems.push(`ingest.visibilityTimeoutSeconds (${c.ingest.visibilityTimeoutSeconds}) must be at least 6 × transform.timeoutSeconds (${6 * t.timeoutSeconds}), as AWS recommends for SQS event sources`);
  }
  if (!Number.isInteger(c.athena.bytesScannedCutoffPerQuery) || c.athena.bytesScannedCutoffPerQuery < 10_000_000) {
    problems.push(`athena.bytesScannedCutoffPerQuery must be a whole number ≥ 10000000 (Athena's minimum), got ${c.athena.bytesScannedCutoffPerQuery}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(c.catalog.projectionStartDate) || Number.isNaN(Date.parse(c.catalog.projectionStartDate))) {
    problems.push(`catalog.projectionStartDate must be a YYYY-MM-DD date, got '${c.catalog.projectionStartDate}'`);
  }
  const a = c.api;
  if (a.authorization !== 'iam' && a.authorization !== 'api-key') problems.push(`api.authorization must be 'iam' or 'api-key', got '${String(a.authorization)}'`);
  if (!(a.throttleRateLimit > 0 && a.throttleRateLimit <= 10_000)) problems.push(`api.throttleRateLimit must be a number of requests per second in (0, 10000], got ${a.throttleRateLimit}`);
  if (!Number.isInteger(a.throttleBurstLimit) || a.throttleBurstLimit < 1 || a.throttleBurstLimit > 5000) problems.push(`api.throttleBurstLimit must be a whole number 1..5000, got ${a.throttleBurstLimit}`);
  positiveInteger(a.quota.limit, 'api.quota.limit', problems);
  if (!['DAY', 'WEEK', 'MONTH'].includes(a.quota.period)) problems.push(`api.quota.period must be DAY, WEEK or MONTH, got '${a.quota.period}'`);
  for (const origin of a.corsAllowOrigins) {
    if (origin === '*') {
      if (c.protected) problems.push(`api.corsAllowOrigins: '*' is refused on protected stage '${c.stage}'; list the origins`);
    } else if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin)) {
      problems.push(`api.corsAllowOrigins: '${origin}' is not an origin (scheme://host[:port], no path) nor '*'`);
    }
  }
  if (!Number.isInteger(a.queryTimeoutSeconds) || a.queryTimeoutSeconds < 1 || a.queryTimeoutSeconds > 28) {
    problems.push(`api.queryTimeoutSeconds must be 1..28 (API Gateway ends a request after 29 s), got ${a.queryTimeoutSeconds}`);
  }
  if (!Number.isInteger(a.resultReuseMinutes) || a.resultReuseMinutes < 0 || a.resultReuseMinutes > 10080) {
    problems.push(`api.resultReuseMinutes must be 0..10080 (Athena reuses results up to 7 days), got ${a.resultReuseMinutes}`);
  }
  for (const arn of c.bronzeReaderRoleArns ?? []) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(arn)) problems.push(`bronzeReaderRoleArns: '${arn}' is not an IAM role ARN`);
    else if (/[*?]/.test(arn)) problems.push(`bronzeReaderRoleArns: '${arn}' contains a wildcard; the bronze policy matches these ARNs with StringNotLike, so every role the pattern matches could read bronze: list each role`);
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.alarmEmail)) problems.push(`alarmEmail '${c.alarmEmail}' is not an e-mail address`);
  const schedule = scheduleExpressionProblem(c.orchestration.scheduleExpression);
  if (schedule) problems.push(`orchestration.scheduleExpression ${schedule}`);
  return problems;
}

/**
 * The validated config of a stage.
 * @throws StageConfigError naming the known stages when `stage` is unknown, or listing every problem.
 */
export function stageConfig(stage: string, stages: Readonly<Record<string, StageConfig>> = STAGES): StageConfig {
  const config = Object.prototype.hasOwnProperty.call(stages, stage) ? stages[stage] : undefined;
  if (!config) {
    throw new StageConfigError(`Unknown stage '${stage}'. Known stages: ${Object.keys(stages).join(', ')}. Pass one with -c stage=<name>.`);
  }
  const problems = validateStageConfig(config);
  if (problems.length > 0) {
    throw new StageConfigError(`Invalid config for stage '${stage}':\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return config;
}

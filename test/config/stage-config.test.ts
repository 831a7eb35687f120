import { STAGES, StageConfigError, scheduleExpressionProblem, stageConfig, validateStageConfig, type StageConfig } from '../../lib/config/stage-config';
import { bucketName, bucketNameProblems, glueDatabaseName } from '../../lib/naming';

const dev = STAGES.dev;

describe('stage config', () => {
  it('dev and prod are valid; prod retains everything', () => {
    expect(stageConfig('dev')).toBe(dev);
    expect(stageConfig('prod')).toMatchObject({ removalPolicy: 'retain', autoDeleteObjects: false, protected: true });
  });

  it('an unknown stage fails with the list of known ones', () => {
    expect(() => stageConfig('qa')).toThrow(new StageConfigError("Unknown stage 'qa'. Known stages: dev, prod. Pass one with -c stage=<name>."));
    expect(() => stageConfig('toString')).toThrow("Unknown stage 'toString'");
  });

  it('a protected stage refuses destructive settings', () => {
    const bad: StageConfig = { ...STAGES.prod, removalPolicy: 'destroy', autoDeleteObjects: true };
    expect(validateStageConfig(bad)).toEqual([
      "removalPolicy is 'destroy' but stage 'prod' is protected; use 'retain'",
      "autoDeleteObjects is on but stage 'prod' is protected",
    ]);
    expect(() => stageConfig('prod', { prod: bad })).toThrow(
      "Invalid config for stage 'prod':\n  - removalPolicy is 'destroy' but stage 'prod' is protected; use 'retain'\n  - autoDeleteObjects is on but stage 'prod' is protected",
    );
  });

  it('reports every bad value with its field', () => {
    const bad: StageConfig = {
      ...dev,
      removalPolicy: 'retain',
      athena: { bytesScannedCutoffPerQuery: 1000 },
      ingest: { maxReceiveCount: 0, visibilityTimeoutSeconds: 10 },
      transform: { ...dev.transform, batchSize: 11, maxFileMiB: 5000 },
      lifecycle: { ...dev.lifecycle, quarantine: { expireAfterDays: 10, transitionToGlacierIrAfterDays: 20 } },
      catalog: { projectionStartDate: '01/01/2000', futureHorizonDays: -1 },
      alarmEmail: 'nobody',
    };
    expect(validateStageConfig(bad)).toEqual([
      "autoDeleteObjects needs removalPolicy 'destroy'",
      'lifecycle.quarantine: expireAfterDays (10) must be later than transitionToGlacierIrAfterDays (20)',
      'ingest.maxReceiveCount must be a whole number ≥ 1, got 0',
      'ingest.visibilityTimeoutSeconds must be 30..43200, got 10',
      'transform.batchSize must be 1..10, got 11',
      'transform.maxFileMiB must be 1..4096 (40% of transform.ephemeralStorageMb), got 5000',
      'catalog.futureHorizonDays must be a whole number of days 0..3660, got -1',
      'ingest.visibilityTimeoutSeconds (10) must be at least 6 × transform.timeoutSeconds (1800), as AWS recommends for SQS event sources',
      "athena.bytesScannedCutoffPerQuery must be a whole number ≥ 10000000 (Athena's minimum), got 1000",
      "catalog.projectionStartDate must be a YYYY-MM-DD date, got '01/01/2000'",
      "alarmEmail 'nobody' is not an e-mail address",
    ]);
  });
});

describe('bronzeReaderRoleArns', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/forensics', []],
    ['arn:aws:iam::123456789012:role/team/forensics', []],
    ['arn:aws:iam::123456789012:user/alice', ["bronzeReaderRoleArns: 'arn:aws:iam::123456789012:user/alice' is not an IAM role ARN"]],
    [
      'arn:aws:iam::123456789012:role/*',
      ["bronzeReaderRoleArns: 'arn:aws:iam::123456789012:role/*' contains a wildcard; the bronze policy matches these ARNs with StringNotLike, so every role the pattern matches could read bronze: list each role"],
    ],
  ])('%s', (arn, problems) => {
    expect(validateStageConfig({ ...STAGES.prod, bronzeReaderRoleArns: [arn] })).toEqual(problems);
  });

  it('is optional: none by default', () => {
    const withoutReaders: StageConfig = { ...STAGES.prod, bronzeReaderRoleArns: undefined };
    expect(validateStageConfig(withoutReaders)).toEqual([]);
  });
});

describe('transform.maxConcurrency', () => {
  it.each([
    [2, []],
    [1000, []],
    [1, ["transform.maxConcurrency must be a whole number 2..1000 (the SQS event source's maximum concurrency), got 1"]],
    [1001, ["transform.maxConcurrency must be a whole number 2..1000 (the SQS event source's maximum concurrency), got 1001"]],
    [2.5, ["transform.maxConcurrency must be a whole number 2..1000 (the SQS event source's maximum concurrency), got 2.5"]],
  ])('%s', (maxConcurrency, problems) => {
    expect(validateStageConfig({ ...dev, transform: { ...dev.transform, maxConcurrency } })).toEqual(problems);
  });

  it('defaults: dev 5, prod 50', () => {
    expect([STAGES.dev.transform.maxConcurrency, STAGES.prod.transform.maxConcurrency]).toEqual([5, 50]);
  });
});

describe('resource names', () => {
  it('bucket names derive from prefix, stage, purpose, account and region', () => {
    expect(bucketName(dev, 'bronze', '123456789012', 'eu-west-1')).toBe('medallion-dev-bronze-123456789012-eu-west-1');
    expect(bucketName(STAGES.prod, 'athena-results', '123456789012', 'ap-southeast-5')).toBe('medallion-prod-athena-results-123456789012-ap-southeast-5');
  });

  it('a prefix that would make a bucket name too long fails before synth', () => {
    const long: StageConfig = { ...dev, namePrefix: 'acme-analytics-lake1' };
    expect(() => bucketName(long, 'athena-results')).toThrow(
      "Bucket name 'acme-analytics-lake1-dev-athena-results-111111111111-aaaaaaaaaaaaaaaa' (prefix 'acme-analytics-lake1', stage 'dev', purpose 'athena-results') is 69 characters long; S3 allows 3 to 63. Shorten namePrefix or the stage name in the platform config (e.g. medallion.config.yaml).",
    );
  });

  it.each([
    ['ab', ['is 2 characters long; S3 allows 3 to 63']],
    ['my_bucket', ['may contain only lower case letters, digits, hyphens and dots']],
    ['-abc', ['must start and end with a letter or digit']],
    ['a..b', ['must not contain two adjacent dots']],
    ['192.168.1.1', ['must not look like an IP address']],
    ['xn--abc', ['must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)']],
    ['abc-s3alias', ['must not end with a reserved suffix']],
    ['medallion-dev-bronze-123456789012-eu-west-1', []],
  ])('S3 naming rules: %s', (name, problems) => {
    expect(bucketNameProblems(name)).toEqual(problems);
  });

  it('Glue database names use underscores', () => {
    expect(glueDatabaseName({ ...dev, namePrefix: 'acme-lake' }, 'silver')).toBe('acme_lake_dev_silver');
  });

  it('validates the HTTP API settings: auth mode, throttling, quota, CORS origins, timeouts', () => {
    const bad: StageConfig = {
      ...STAGES.prod,
      api: {
        authorization: 'cognito' as 'iam',
        throttleRateLimit: 0,
        throttleBurstLimit: 1.5,
        quota: { limit: 0, period: 'YEAR' as 'DAY' },
        corsAllowOrigins: ['*', 'https://app.example.com/path', 'http://localhost:5173'],
        queryTimeoutSeconds: 29,
        resultReuseMinutes: -1,
      },
    };
    expect(validateStageConfig(bad)).toEqual([
      "api.authorization must be 'iam' or 'api-key', got 'cognito'",
      'api.throttleRateLimit must be a number of requests per second in (0, 10000], got 0',
      'api.throttleBurstLimit must be a whole number 1..5000, got 1.5',
      'api.quota.limit must be a whole number ≥ 1, got 0',
      "api.quota.period must be DAY, WEEK or MONTH, got 'YEAR'",
      "api.corsAllowOrigins: '*' is refused on protected stage 'prod'; list the origins",
      "api.corsAllowOrigins: 'https://app.example.com/path' is not an origin (scheme://host[:port], no path) nor '*'",
      'api.queryTimeoutSeconds must be 1..28 (API Gateway ends a request after 29 s), got 29',
      'api.resultReuseMinutes must be 0..10080 (Athena reuses results up to 7 days), got -1',
    ]);
  });
});

describe('orchestration schedule', () => {
  it('runs gold-build daily at 06:00 UTC by default, in every stage', () => {
    expect(STAGES.dev.orchestration.scheduleExpression).toBe('cron(0 6 * * ? *)');
    expect(STAGES.prod.orchestration.scheduleExpression).toBe('cron(0 6 * * ? *)');
  });

  it.each([
    ['cron(0 6 * * ? *)', undefined],
    ['cron(30 2 ? * MON-FRI *)', undefined],
    ['rate(1 day)', undefined],
    ['rate(12 hours)', undefined],
    ['rate(1 days)', "'rate(1 days)': write rate(1 day) or rate(2 days)"],
    ['cron(0 6 * * *)', "'cron(0 6 * * *)' has 5 fields; cron takes 6: minutes hours day-of-month month day-of-week year"],
    ['cron(0 6 * * * *)', "'cron(0 6 * * * *)': exactly one of day-of-month and day-of-week must be '?'"],
    ['daily', "'daily' is neither rate(…) nor cron(…); e.g. 'cron(0 6 * * ? *)' for 06:00 UTC daily"],
  ])('%s', (expression, problem) => {
    expect(scheduleExpressionProblem(expression)).toBe(problem);
    const problems = validateStageConfig({ ...dev, orchestration: { scheduleExpression: expression } });
    expect(problems).toEqual(problem ? [`orchestration.scheduleExpression ${problem}`] : []);
  });
});

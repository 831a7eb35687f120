import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../lib/config/stage-config';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev');
const t = dev.transformTemplate;
// The transform function has no explicit name (CloudFormation names it): found by its logical id.
const fn = () => Object.entries(resourcesOf(t, 'AWS::Lambda::Function')).find(([id]) => /^TransformFunction[0-9A-F]{8}$/.test(id))![1];

describe('transform stack', () => {
  it('runs the transform on Node.js 24, arm64, sized from the stage config', () => {
    expect(fn().Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 3008,
      Timeout: 300,
      EphemeralStorage: { Size: 10240 },
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          PROJECTION_START_DATE: '2000-01-01',
          CONTRACTS_DIR: '/var/task/contracts',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    const env = (fn().Properties as any).Environment.Variables;
    expect(Object.keys(env).sort()).toEqual([
      'CONTRACTS_DIR', 'FUTURE_HORIZON_DAYS', 'MAX_FILE_BYTES', 'METRICS_NAMESPACE', 'NODE_OPTIONS', 'OPERATIONS_BUCKET', 'PII_KEY_SECRET_ID', 'POWERTOOLS_SERVICE_NAME', 'PROJECTION_START_DATE', 'QUARANTINE_BUCKET', 'SILVER_BUCKET',
    ]);
  });

  it('consumes the bronze notification queue in batches of 10 with partial batch failure reporting', () => {
    const [mapping] = Object.values(resourcesOf(t, 'AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toMatchObject({ BatchSize: 10, MaximumBatchingWindowInSeconds: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(JSON.stringify(mapping.Properties.EventSourceArn)).toMatch(/BronzeNotificationsQueue[0-9A-F]{8}Arn/);
  });

  it('starts at most transform.maxConcurrency transforms at once (dev 5, prod 50, or what the stage config says)', () => {
    const scaling = (template: Template) => Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).map((m) => m.Properties.ScalingConfig);
    expect(scaling(t)).toEqual([{ MaximumConcurrency: 5 }]);
    expect(scaling(synthesizePlatform('prod', { bundle: false }).transformTemplate)).toEqual([{ MaximumConcurrency: 50 }]);
    const custom = { dev: { ...STAGES.dev, transform: { ...STAGES.dev.transform, maxConcurrency: 2 } } };
    expect(scaling(synthesizePlatform('dev', { stages: custom, bundle: false }).transformTemplate)).toEqual([{ MaximumConcurrency: 2 }]);
  });

  it('alarms to the alarm topic when a notification reaches the dead-letter queue', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'medallion-dev-bronze-events-dlq-not-empty',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data-platform-dev@example.com' });
  });

  it('grants least privilege: read bronze, read silver operations data, put and delete silver and quarantine objects, read the PII key; never write or delete bronze', () => {
    const policies = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('TransformRole'));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as any).Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => /Delete|\*$/.test(a) && a.startsWith('s3:') && !['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*'].includes(a))).toEqual(['s3:DeleteObject*']);
    // Deletes (an overwritten key's previous outputs) reach silver and quarantine only.
    const deletes = statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('s3:DeleteObject*')).map((s) => JSON.stringify(s.Resource));
    expect(deletes).toHaveLength(1);
    expect(deletes.join()).not.toContain('Bronze');
    expect(deletes.join()).toMatch(/Silver/);
    expect(deletes.join()).toMatch(/Quarantine/);
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 'secretsmanager:GetSecretValue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'logs:PutLogEvents']));
    const writes = statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('s3:PutObject')).map((s) => JSON.stringify(s.Resource));
    expect(writes.join()).not.toContain('Bronze');
    // IAM names are account-wide: the region is part of the name (environment-agnostic here: the deploy-time region).
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: { 'Fn::Join': ['', ['medallion-dev-transform-', { Ref: 'AWS::Region' }]] } });
  });

  it('lets only the transform role (by its name, which holds the region) read bronze objects', () => {
    dev.storageTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OnlyTheTransformReadsBronze',
            Effect: 'Deny',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Principal: { AWS: '*' },
            Condition: { StringNotLike: { 'aws:PrincipalArn': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/medallion-dev-transform-', { Ref: 'AWS::Region' }]] }] } },
          }),
        ]),
      },
    });
  });

  it('keeps the PII hashing key in Secrets Manager, encrypted with a customer-managed key', () => {
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'medallion-dev-pii-key',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('ships the arm64 DuckDB binary and the contracts in the Lambda asset, whatever machine builds it', () => {
    const code = (fn().Properties as any).Code;
    expect(code.S3Key).toMatch(/\.zip$/);
    const assembly = dev.transform.node.root as unknown as { synth: () => { directory: string } };
    const dir = assembly.synth().directory;
    const asset = join(dir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(join(asset, 'index.js'))).toBe(true);
    expect(readdirSync(join(asset, 'node_modules', '@duckdb')).sort()).toEqual(['node-api', 'node-bindings', 'node-bindings-linux-arm64']);
    expect(existsSync(join(asset, 'node_modules', '@duckdb', 'node-bindings-linux-arm64', 'duckdb.node'))).toBe(true);
    expect(existsSync(join(asset, 'node_modules', '@duckdb', 'node-bindings-linux-arm64', 'libduckdb.so'))).toBe(true);
    expect(readdirSync(join(asset, 'contracts')).sort()).toEqual(['events.yaml', 'pays.yaml', 'prints.yaml', 'taps.yaml', 'transactions.yaml', 'users.yaml']);
  });
});

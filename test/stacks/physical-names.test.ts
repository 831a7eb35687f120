import { synthesizePlatform } from './platform-fixture';

/**
 * Several stages and regions of the platform in one AWS account must not claim the same physical name.
 * Every explicit name of every template (each property ending in `Name`, KMS alias names, bucket names,
 * Glue database names) is compared where AWS requires it to be unique: account-wide for IAM, S3 and
 * CloudWatch dashboards, per region for the rest.
 */

const ACCOUNT = '123456789012';
const DEPLOYMENTS = [
  { stage: 'dev', region: 'eu-west-1' },
  { stage: 'dev', region: 'us-east-1' },
  { stage: 'prod', region: 'us-east-1' },
  { stage: 'prod', region: 'eu-west-1' },
] as const;

type Scope = 'account' | 'region';

/** The property that holds a resource's own physical name, and where AWS requires that name to be unique. */
const OWN_NAMES: Readonly<Record<string, { readonly property: string; readonly scope: Scope }>> = {
  'AWS::IAM::Role': { property: 'RoleName', scope: 'account' },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', scope: 'account' },
  'AWS::IAM::InstanceProfile': { property: 'InstanceProfileName', scope: 'account' },
  // Bucket names are unique across every account; ours hold account and region, so the account is the scope to check.
  'AWS::S3::Bucket': { property: 'BucketName', scope: 'account' },
  // Dashboards are global: one namespace per account, whatever the region.
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', scope: 'account' },
  'AWS::KMS::Alias': { property: 'AliasName', scope: 'region' },
  'AWS::Lambda::Function': { property: 'FunctionName', scope: 'region' },
  'AWS::SNS::Topic': { property: 'TopicName', scope: 'region' },
  'AWS::SQS::Queue': { property: 'QueueName', scope: 'region' },
  'AWS::SecretsManager::Secret': { property: 'Name', scope: 'region' },
  'AWS::StepFunctions::StateMachine': { property: 'StateMachineName', scope: 'region' },
  'AWS::Scheduler::Schedule': { property: 'Name', scope: 'region' },
  'AWS::Athena::WorkGroup': { property: 'Name', scope: 'region' },
  'AWS::Glue::Database': { property: 'DatabaseInput.Name', scope: 'region' },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', scope: 'region' },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', scope: 'region' },
  // API Gateway does not require these to be unique; compared anyway, so that two stages stay told apart.
  'AWS::ApiGateway::RestApi': { property: 'Name', scope: 'region' },
  'AWS::ApiGateway::UsagePlan': { property: 'UsagePlanName', scope: 'region' },
  'AWS::ApiGateway::ApiKey': { property: 'Name', scope: 'region' },
};

/** Properties ending in `Name` that are not a resource's own physical name, each with why. */
const OTHER_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'AWS::IAM::Policy': { PolicyName: 'an inline policy: unique within the roles it is attached to' },
  'AWS::ApiGateway::Stage': { StageName: 'unique within its REST API' },
  'AWS::ApiGateway::Method': { OperationName: 'a label of the method within its REST API' },
  'AWS::Glue::Table': { DatabaseName: 'the database of the table (a reference; the table name is unique within it)' },
  'AWS::Lambda::Permission': { FunctionName: 'the function the permission is for (a reference)' },
  'AWS::Lambda::EventSourceMapping': { FunctionName: 'the function the mapping invokes (a reference)' },
  'AWS::CloudWatch::Alarm': { MetricName: 'the metric the alarm watches' },
  'Custom::GoldView': { ViewName: 'a view within the stage’s Gold database' },
  'Custom::S3AutoDeleteObjects': { BucketName: 'the bucket to empty (a reference)' },
  'Custom::S3BucketNotifications': { BucketName: 'the bucket to configure (a reference)' },
};

interface NameEntry {
  readonly deployment: string;
  readonly region: string;
  readonly resource: string;
  readonly type: string;
  readonly property: string;
  readonly scope: Scope;
  readonly name: string;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/**
 * A name's value in a deployment: literals, pseudo parameters and `Fn::Join`; undefined when it derives
 * from another resource's generated name (unique by construction, e.g. `/aws/lambda/<generated function name>`).
 */
function resolveName(value: unknown, region: string): string | undefined {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return ({ 'AWS::Region': region, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' } as Record<string, string>)[v.Ref];
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    const resolved = parts.map((p) => resolveName(p, region));
    return resolved.every((p) => p !== undefined) ? resolved.join(separator) : undefined;
  }
  return undefined;
}

// Names only: no bundling and no cdk-nag here (test/stacks/nag.test.ts checks nag with a concrete account and region).
const synthesized = DEPLOYMENTS.map((d) => ({ ...d, platform: synthesizePlatform(d.stage, { env: { account: ACCOUNT, region: d.region }, bundle: false, nag: false }) }));

const STACKS = ['storage', 'catalog', 'transform', 'gold', 'orchestration', 'api', 'observability'] as const;

function templatesOf(platform: (typeof synthesized)[number]['platform']) {
  return STACKS.map((k) => ({
    stack: platform[k].stackName,
    resources: Object.entries((platform[`${k}Template` as const].toJSON() as { Resources: Record<string, Resource> }).Resources),
  }));
}

const unclassified: string[] = [];
const entries: NameEntry[] = synthesized.flatMap(({ stage, region, platform }) =>
  templatesOf(platform).flatMap(({ stack, resources }) =>
    resources.flatMap(([logicalId, r]) => {
      const own = OWN_NAMES[r.Type];
      const properties = r.Properties ?? {};
      for (const key of Object.keys(properties).filter((k) => k.endsWith('Name'))) {
        if (own?.property !== key && !OTHER_NAMES[r.Type]?.[key]) unclassified.push(`${r.Type}.${key}`);
      }
      if (!own) return [];
      const raw = own.property.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], properties);
      const name = raw === undefined ? undefined : resolveName(raw, region);
      return name === undefined ? [] : [{ deployment: `${stage}@${region}`, region, resource: `${stack}/${logicalId}`, type: r.Type, property: own.property, scope: own.scope, name }];
    }),
  ),
);

/** Names claimed twice within a scope: `<type> <name>: <resources>`. */
function collisions(scope: Scope): string[] {
  const claims = new Map<string, string[]>();
  for (const e of entries.filter((x) => x.scope === scope)) {
    const key = `${scope === 'region' ? `${e.region} ` : ''}${e.type} ${e.name}`;
    claims.set(key, [...(claims.get(key) ?? []), `${e.deployment} ${e.resource}`]);
  }
  return [...claims].filter(([, owners]) => owners.length > 1).map(([key, owners]) => `${key}: ${owners.join(', ')}`);
}

describe('physical names in a shared account (dev and prod in eu-west-1 and us-east-1, one account)', () => {
  it('every property ending in Name is either a resource’s own name or a known reference', () => {
    expect([...new Set(unclassified)].sort()).toEqual([]);
  });

  it('no account-wide name (IAM, S3, CloudWatch dashboards) is claimed twice', () => {
    expect(collisions('account')).toEqual([]);
  });

  it('no regional name is claimed twice within a region (two stages side by side)', () => {
    expect(collisions('region')).toEqual([]);
  });

  it('the account-wide names of a deployment are exactly the buckets, the transform role and the dashboard, each holding stage and region', () => {
    const names = (deployment: string) =>
      entries
        .filter((e) => e.deployment === deployment && e.scope === 'account')
        .map((e) => `${e.type} ${e.name}`)
        .sort();
    expect(names('dev@eu-west-1')).toEqual([
      'AWS::CloudWatch::Dashboard medallion-dev-platform-eu-west-1',
      'AWS::IAM::Role medallion-dev-transform-eu-west-1',
      ...['access-logs', 'athena-results', 'bronze', 'gold', 'quarantine', 'silver'].map((p) => `AWS::S3::Bucket medallion-dev-${p}-123456789012-eu-west-1`),
    ]);
    expect(names('prod@us-east-1')).toContain('AWS::IAM::Role medallion-prod-transform-us-east-1');
  });

  it('the regional names of a deployment are those the runbook and README use, all holding the stage', () => {
    const names = entries.filter((e) => e.deployment === 'prod@us-east-1' && e.scope === 'region' && e.type !== 'AWS::CloudWatch::Alarm' && e.type !== 'AWS::Logs::LogGroup');
    expect(names.map((e) => `${e.type} ${e.name}`).sort()).toEqual([
      'AWS::ApiGateway::RestApi medallion-prod-api',
      'AWS::ApiGateway::UsagePlan medallion-prod-api',
      'AWS::Athena::WorkGroup medallion-prod-analytics',
      'AWS::Glue::Database medallion_prod_bronze',
      'AWS::Glue::Database medallion_prod_gold',
      'AWS::Glue::Database medallion_prod_ops',
      'AWS::Glue::Database medallion_prod_silver',
      'AWS::KMS::Alias alias/medallion-prod-bronze-events',
      'AWS::KMS::Alias alias/medallion-prod-data',
      'AWS::KMS::Alias alias/medallion-prod-transform',
      'AWS::SQS::Queue medallion-prod-bronze-events',
      'AWS::SQS::Queue medallion-prod-bronze-events-dlq',
      'AWS::SecretsManager::Secret medallion-prod-api-token-key',
      'AWS::SecretsManager::Secret medallion-prod-pii-key',
      'AWS::StepFunctions::StateMachine medallion-prod-gold-build',
      'AWS::StepFunctions::StateMachine medallion-prod-replay',
    ]);
    expect(entries.filter((e) => e.deployment === 'prod@us-east-1' && e.type === 'AWS::CloudWatch::Alarm').every((e) => e.name.startsWith('medallion-prod-'))).toBe(true);
  });

  it('the bronze policy names the transform role of its own region, and that role exists in the transform stack', () => {
    for (const { region, stage, platform } of synthesized) {
      const policy = Object.values((platform.storageTemplate.toJSON() as { Resources: Record<string, Resource> }).Resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r).includes('OnlyTheTransformReadsBronze'))!;
      const statement = ((policy.Properties!.PolicyDocument as { Statement: { Sid?: string; Condition?: Record<string, Record<string, unknown[]>> }[] }).Statement).find((s) => s.Sid === 'OnlyTheTransformReadsBronze')!;
      const readers = statement.Condition!.StringNotLike['aws:PrincipalArn'].map((a) => resolveName(a, region));
      expect(readers).toEqual([`arn:aws:iam::${ACCOUNT}:role/medallion-${stage}-transform-${region}`]);
      const roles = entries.filter((e) => e.deployment === `${stage}@${region}` && e.type === 'AWS::IAM::Role').map((e) => [e.resource.split('/')[0], e.name]);
      expect(roles).toEqual([[`medallion-${stage}-transform`, `medallion-${stage}-transform-${region}`]]);
    }
  });

  it('no stage changes the account’s API Gateway settings (AWS::ApiGateway::Account, one per account and region)', () => {
    const accounts = synthesized.flatMap(({ platform }) => templatesOf(platform).flatMap(({ resources }) => resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::Account')));
    expect(accounts).toEqual([]);
  });
});

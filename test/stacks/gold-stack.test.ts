import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { goldDatasets } from '../../lambdas/shared/gold';
import { addPlatform } from '../../lib';

const GOLD_DATASETS = goldDatasets();
import { CDK_JSON_CONTEXT, resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev');
const t = dev.goldTemplate;
const views = Object.entries(resourcesOf(t, 'Custom::GoldView')) as [string, { Properties: any; DependsOn?: string[] }][];
const view = (name: string) => views.find(([, v]) => v.Properties.ViewName === name)!;

describe('gold stack', () => {
  it('creates one Athena view per Gold SQL file, in the gold database, through the enforced workgroup', () => {
    expect(views.map(([, v]) => v.Properties.ViewName)).toEqual([...GOLD_DATASETS]);
    for (const [, v] of views) {
      expect(v.Properties).toMatchObject({ Database: 'medallion_dev_gold', WorkGroup: 'medallion-dev-analytics' });
      expect(v.Properties.Sql).not.toContain('${');
    }
  });

  it('renders the SQL with the stage databases; value_prop_features defaults to the latest print day', () => {
    expect(view('value_prop_features')[1].Properties.Sql).toContain('SELECT (SELECT max("day") FROM medallion_dev_silver.prints) AS as_of');
    expect(view('daily_kpis')[1].Properties.Sql).toContain('FROM medallion_dev_gold.user_session_analysis');
    expect(view('data_quality_history')[1].Properties.Sql).toContain('FROM medallion_dev_ops.manifests');
  });

  it('creates the views one after the other, so a view can read the ones before it', () => {
    GOLD_DATASETS.slice(1).forEach((dataset, i) => {
      expect(view(dataset)[1].DependsOn).toContain(view(GOLD_DATASETS[i])[0]);
    });
  });

  it('waits for Athena through the provider framework, with logging', () => {
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const [sm] = Object.values(resourcesOf(t, 'AWS::StepFunctions::StateMachine'));
    expect((sm.Properties as any).LoggingConfiguration.Level).toBe('ALL');
  });

  it('lets the view and build functions run queries only in the platform workgroup', () => {
    const statements = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument as any).Statement as { Action: string | string[]; Resource: unknown }[]);
    const athena = statements.filter((s) => JSON.stringify(s.Action).includes('athena:'));
    expect(athena.length).toBeGreaterThan(0);
    for (const s of athena) {
      expect((s.Action as string[]).filter((a) => !['athena:GetQueryExecution', 'athena:StartQueryExecution', 'athena:GetQueryResults'].includes(a))).toEqual([]);
      expect(JSON.stringify(s.Resource)).toContain(':workgroup/medallion-dev-analytics');
    }
  });

  it('publishes each Gold dataset to a <dataset>_published table of its contract columns, partitioned by as_of', () => {
    const tables = Object.values(resourcesOf(t, 'AWS::Glue::Table')).map((r) => (r.Properties as any).TableInput);
    expect(tables.map((x) => x.Name).sort()).toEqual(GOLD_DATASETS.map((d) => `${d}_published`).sort());
    const vpf = tables.find((x) => x.Name === 'value_prop_features_published');
    expect(vpf.PartitionKeys).toEqual([{ Name: 'as_of', Type: 'string' }]);
    expect(vpf.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => `${c.Name}:${c.Type}`)).toEqual([
      'day:date', 'user_id:bigint', 'value_prop:string', 'position:int', 'clicked:boolean', 'prints_3w:bigint', 'taps_3w:bigint', 'pays_3w:bigint', 'amount_3w:decimal(18,2)',
    ]);
    expect(vpf.Parameters).toEqual({ classification: 'parquet', EXTERNAL: 'TRUE' });
  });

  it('runs the build function with the stage names and the SQL bundled next to it', () => {
    const fn = Object.values(resourcesOf(t, 'AWS::Lambda::Function')).find((f) => (f.Properties as any).Environment?.Variables?.SQL_DIR);
    expect((fn!.Properties as any).Environment.Variables).toMatchObject({ SILVER_DATABASE: 'medallion_dev_silver', GOLD_DATABASE: 'medallion_dev_gold', OPS_DATABASE: 'medallion_dev_ops', WORKGROUP: 'medallion-dev-analytics', SQL_DIR: '/var/task/sql' });
    const dir = (dev.gold.node.root as unknown as { synth: () => { directory: string } }).synth().directory;
    const asset = join(dir, `asset.${(fn!.Properties as any).Code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(join(asset, 'sql', 'gold')).sort()).toEqual(GOLD_DATASETS.map((d) => `${d}.sql`).sort());
  });
});

describe('grantReadGold', () => {
  const policyOf = (withViews: boolean) => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const platform = addPlatform(app, { stage: 'dev', nag: false });
    const consumer = new Stack(app, 'Consumer');
    const role = new iam.Role(consumer, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    platform.gold.grantReadGold(role, { views: withViews });
    const statements = Object.values(Template.fromStack(consumer).findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    return statements.map((st) => [[st.Action].flat().join(' '), JSON.stringify(st.Resource)]);
  };

  it('lets a role query the published Gold builds through the workgroup, and nothing of silver', () => {
    const statements = policyOf(false);
    expect(statements[0]).toEqual([
      'athena:GetQueryExecution athena:GetQueryResults athena:GetWorkGroup athena:StartQueryExecution athena:StopQueryExecution',
      expect.stringContaining(':workgroup/medallion-dev-analytics'),
    ]);
    expect(statements[1][0]).toBe('glue:GetDatabase glue:GetDatabases glue:GetPartition glue:GetPartitions glue:GetTable glue:GetTables');
    expect(statements[1][1]).toContain('medallion_dev_gold/*');
    expect(statements[1][1]).not.toContain('medallion_dev_silver');
    expect(statements.map(([, r]) => r).join(' ')).not.toMatch(/Silver/);
    expect(statements.some(([a, r]) => a.includes('s3:GetObject*') && /Gold/.test(r))).toBe(true);
    expect(statements.some(([a, r]) => a.includes('s3:PutObject') && /AthenaResults/.test(r) && r.includes('/results/*'))).toBe(true);
    expect(statements.some(([a]) => a.includes('kms:Decrypt'))).toBe(true);
  });

  it('with views: the silver tables and objects the views read, too', () => {
    const statements = policyOf(true);
    expect(statements[1][1]).toContain('medallion_dev_silver/*');
    expect(statements.some(([a, r]) => a.includes('s3:GetObject*') && /Silver/.test(r))).toBe(true);
  });
});

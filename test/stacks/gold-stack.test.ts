import { goldDatasets } from '../../lambdas/shared/gold';

const GOLD_DATASETS = goldDatasets();
import { resourcesOf, synthesizePlatform } from './platform-fixture';

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
    expect(view('value_prop_features')[1].Properties.Sql).toContain('SELECT (SELECT max(day) FROM medallion_dev_silver.prints) AS as_of');
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

  it('lets the view handlers run queries only in the platform workgroup', () => {
    const statements = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument as any).Statement as { Action: string | string[]; Resource: unknown }[]);
    const athena = statements.filter((s) => JSON.stringify(s.Action).includes('athena:'));
    expect(athena.length).toBeGreaterThan(0);
    for (const s of athena) {
      expect([...(s.Action as string[])].sort()).toEqual(['athena:GetQueryExecution', 'athena:StartQueryExecution']);
      expect(JSON.stringify(s.Resource)).toContain(':workgroup/medallion-dev-analytics');
    }
  });
});

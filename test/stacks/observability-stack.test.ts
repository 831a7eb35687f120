import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev', { bundle: false });
const t = dev.observabilityTemplate;
const alarms = () => Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties as any);

/** The dashboard body with CloudFormation references rendered as `<ref>`, as a parsed object. */
function dashboardBody(): { widgets: { properties: { title: string; metrics: unknown[][] } }[] } {
  const [dashboard] = Object.values(resourcesOf(t, 'AWS::CloudWatch::Dashboard'));
  const body = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(body.map((part) => (typeof part === 'string' ? part : '<ref>')).join(''));
}

describe('observability stack', () => {
  it('has one dashboard named for the stage and the region (dashboards are account-wide)', () => {
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: { 'Fn::Join': ['', ['medallion-dev-platform-', { Ref: 'AWS::Region' }]] } });
  });

  it('graphs files and rows by status, quarantine ratio per dataset, duration, errors, queues and Athena bytes', () => {
    const widgets = dashboardBody().widgets.map((w) => w.properties);
    expect(widgets.map((w) => w.title)).toEqual([
      'Files by status (all datasets)',
      'Rows (all datasets)',
      'Quarantine ratio by dataset (%)',
      'Transform duration per file (ms, slowest dataset)',
      'Transform invocations, errors, throttles',
      'Bronze queues',
      'State machine executions',
      'Quality gate',
      'API requests and errors',
      'API latency (ms)',
      'Athena bytes scanned',
    ]);
    const files = JSON.stringify(widgets[0].metrics);
    for (const status of ['ingested', 'quarantined', 'duplicate', 'rejected']) {
      expect(files).toContain(`SUM(SEARCH('{MedallionPlatform,dataset,service} service=\\"transform\\" MetricName=\\"files_${status}\\"', 'Sum', 300))`);
    }
    // One ratio per source contract, computed from that dataset's own metrics.
    const ratios = widgets[2].metrics.filter((m) => /100 \* IF\(rowsIn\d > 0, quarantined\d \/ rowsIn\d, 0\)/.test(JSON.stringify(m)));
    expect(ratios.map((m) => (m[0] as { label: string }).label).sort()).toEqual(['events', 'pays', 'prints', 'taps', 'transactions', 'users']);
    expect(JSON.stringify(widgets[10].metrics)).toContain(`WorkGroup=\\"medallion-dev-analytics\\" MetricName=\\"ProcessedBytes\\"`);
  });

  it('alarms on the transform error rate, to the platform alarm topic', () => {
    const [rate] = alarms().filter((a) => a.AlarmName === 'medallion-dev-transform-error-rate');
    expect(rate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(rate.Metrics.find((m: { Expression?: string }) => m.Expression)).toMatchObject({ Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', ReturnData: true });
    expect(rate.Metrics.filter((m: { MetricStat?: { Metric: { MetricName: string } } }) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort()).toEqual(['Errors', 'Invocations']);
    expect(JSON.stringify(rate.AlarmActions)).toMatch(/"StackName":"medallion-dev-transform".*"OutputName":"[A-Za-z]*Alarms/);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'medallion-dev-transform-error-rate', AlarmDescription: Match.stringLikeRegexp('runbook: docs/operations.md') });
  });

  it('graphs the API and alarms on its 5xx rate', () => {
    const widgets = dashboardBody().widgets.map((w) => w.properties);
    expect(JSON.stringify(widgets[8].metrics)).toMatch(/"AWS\/ApiGateway","Count","ApiName","medallion-dev-api".*"5XXError"/);
    const [rate] = alarms().filter((a) => a.AlarmName === 'medallion-dev-api-5xx-rate');
    expect(rate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
    expect(rate.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort()).toEqual(['5XXError', 'Count']);
  });

  it('alarms on failed or timed-out executions of both state machines', () => {
    for (const name of ['gold-build', 'replay']) {
      const [alarm] = alarms().filter((a) => a.AlarmName === `medallion-dev-${name}-failed`);
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toBe('failed + timedOut');
      expect(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    }
  });

  it('alarms when a quality gate blocks Gold, and on a freshness breach of every dataset with a freshness SLA', () => {
    const [blocked] = alarms().filter((a) => a.AlarmName === 'medallion-dev-quality-gate-blocked');
    expect(blocked).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(blocked.Metrics[0].MetricStat).toEqual({
      Metric: { Namespace: 'MedallionPlatform', MetricName: 'quality_gate_blocked', Dimensions: [{ Name: 'service', Value: 'quality' }] },
      Period: 300,
      Stat: 'Maximum',
    });
    const freshness = alarms().filter((a) => String(a.AlarmName).startsWith('medallion-dev-freshness-'));
    expect(freshness.map((a) => a.AlarmName).sort()).toEqual(['events', 'pays', 'prints', 'taps', 'transactions', 'users'].map((d) => `medallion-dev-freshness-${d}`));
    const prints = freshness.find((a) => a.AlarmName === 'medallion-dev-freshness-prints');
    expect(prints.Threshold).toBe(0);
    expect(prints.Metrics[0].MetricStat).toEqual({
      Metric: {
        Namespace: 'MedallionPlatform',
        MetricName: 'quality_checks_failed',
        Dimensions: expect.arrayContaining([{ Name: 'dataset', Value: 'prints' }, { Name: 'check', Value: 'freshness' }, { Name: 'service', Value: 'quality' }]),
      },
      Period: 300,
      Stat: 'Sum',
    });
    // Every platform alarm notifies the one alarm topic.
    for (const a of alarms()) expect(JSON.stringify(a.AlarmActions)).toMatch(/"OutputName":"[A-Za-z]*Alarms/);
  });
});

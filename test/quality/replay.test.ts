import { objectsOf } from '../../lambdas/transform/s3-event';
import { objectCreatedMessage, planReplay } from '../../lambdas/orchestration/replay';
import { handler as plan } from '../../lambdas/orchestration/plan';

const DATASETS = ['events', 'prints'];

describe('replay requests', () => {
  it('a prefix replays under the dataset, then rebuilds the latest Gold', () => {
    expect(planReplay({ dataset: 'prints', prefix: '2020-11/' }, DATASETS)).toEqual({ prefix: 'prints/2020-11/', window: null, gold: {} });
    expect(planReplay({ dataset: 'prints' }, DATASETS)).toEqual({ prefix: 'prints/', window: null, gold: {} });
  });

  it('a date range replays the objects delivered in it, then backfills Gold over it', () => {
    expect(planReplay({ dataset: 'events', from: '2024-03-01', to: '2024-03-02' }, DATASETS)).toEqual({
      prefix: 'events/',
      window: { from: Date.parse('2024-03-01T00:00:00Z'), to: Date.parse('2024-03-03T00:00:00Z') - 1 },
      gold: { from: '2024-03-01', to: '2024-03-02' },
    });
  });

  it.each([
    [{ dataset: 'clicks' }, "unknown dataset 'clicks'; known: events, prints"],
    [{ dataset: 'prints', prefix: '../users/' }, "prefix '../users/' must be relative to 'prints/' (no leading '/', no '..')"],
    [{ dataset: 'prints', prefix: 'a/', from: '2024-03-01', to: '2024-03-02' }, 'give either prefix or from/to, not both'],
    [{ dataset: 'prints', from: '2024-03-02', to: '2024-03-01' }, 'from and to must be YYYY-MM-DD dates with from ≤ to, got from=2024-03-02 to=2024-03-01'],
    [{ dataset: 'prints', day: '2024-03-01' }, 'unknown input field(s) day; replay takes {dataset, prefix?} or {dataset, from, to}'],
  ])('refuses %p', (request, message) => {
    expect(() => planReplay(request as never, DATASETS)).toThrow(message);
  });

  it('re-sends an object as the S3 notification the transform reads, with the same key and ETag', () => {
    const body = objectCreatedMessage('bronze', { Key: 'prints/my file+1.json', Etag: '"abc123"', LastModified: 1700000000, Size: 10 });
    expect(objectsOf(body)).toEqual([{ bucket: 'bronze', key: 'prints/my file+1.json', eTag: 'abc123' }]);
  });
});

describe('gold-build plan', () => {
  beforeAll(() => Object.assign(process.env, { SILVER_DATABASE: 's', OPS_DATABASE: 'o' }));

  it('splits a backfill into one build per date and checks the sources of the requested datasets', async () => {
    const out = await plan({ request: { datasets: ['value_prop_features'], from: '2020-11-27', to: '2020-11-28' }, startedAt: '2020-11-29T06:00:00Z' });
    expect(out.builds).toEqual([{ datasets: ['value_prop_features'], asOf: '2020-11-27' }, { datasets: ['value_prop_features'], asOf: '2020-11-28' }]);
    expect(out.asOf).toBe('2020-11-28');
    expect([...new Set(out.checks.map((c) => c.dataset))]).toEqual(['pays', 'prints', 'taps']);
    expect(out.datasets).toEqual(['value_prop_features']);
    // Every Gold dataset's lineage, so that the evaluation can follow reads through Gold datasets not requested.
    expect(out.lineage.map((l) => l.dataset)).toEqual(['user_session_analysis', 'daily_kpis', 'daily_revenue', 'data_quality_history', 'value_prop_features']);
  });

  it('resolves the requested datasets into build order, every one when none is named', async () => {
    const some = await plan({ request: { datasets: ['value_prop_features', 'daily_kpis'] }, startedAt: '2020-11-29T06:00:00Z' });
    expect(some.datasets).toEqual(['daily_kpis', 'value_prop_features']);
    const all = await plan({ request: {}, startedAt: '2020-11-29T06:00:00Z' });
    expect(all.datasets).toEqual(['user_session_analysis', 'daily_kpis', 'daily_revenue', 'data_quality_history', 'value_prop_features']);
  });

  it('without dates builds the latest data once', async () => {
    const out = await plan({ request: {}, startedAt: '2020-11-29T06:00:00Z' });
    expect([out.builds, out.asOf, out.request]).toEqual([[{}], null, {}]);
  });

  it.each([
    [{ datasets: ['nope'] }, 'unknown Gold dataset(s): nope; known: user_session_analysis, daily_kpis, daily_revenue, data_quality_history, value_prop_features'],
    [{ asOf: '2020-11-28', from: '2020-11-01', to: '2020-11-02' }, 'give either asOf or from/to, not both'],
    [{ asof: '2020-11-28' }, 'unknown input field(s) asof; gold-build takes {datasets?, asOf?, from?, to?}'],
  ])('refuses %p before running anything', async (request, message) => {
    await expect(plan({ request: request as never, startedAt: '2020-11-29T06:00:00Z' })).rejects.toThrow(message);
  });
});

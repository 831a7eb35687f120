import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContracts } from '../../lambdas/shared/contracts';
import { lintGoldSql, trinoCompatSql } from '../../lambdas/shared/gold';
import { goldDatasets } from '../../lambdas/shared/gold';
import {
  asOfSources, datasetVerdicts, evaluateCheck, gateOutcome, goldLineage, goldSources, meetsThreshold, planChecks, type CheckResult, type QualityCheck,
} from '../../lambdas/shared/quality';

const contracts = loadContracts();
const events = contracts.filter((c) => c.name === 'events');
const databases = { silver: 's', ops: 'o' };
const RUN = '2024-03-04T12:00:00.000Z';

describe('quality check planner', () => {
  const plan = planChecks(contracts, { databases, runTime: RUN });

  it('plans freshness, volume, duplicate keys, quarantine and the declared rules of every contract', () => {
    expect(planChecks(events, { databases, runTime: RUN }).map((c) => [c.id, c.check, c.severity, c.unit])).toEqual([
      ['events.freshness', 'events freshness', 'warning', 'hours'],
      ['events.volume', 'events volume', 'warning', 'ratio'],
      ['events.rowCount', 'events rowCount', 'error', 'rows'],
      ['events.duplicates.event_id', 'duplicate event_id', 'warning', 'percent'],
      ['events.nulls.device', 'events.device nullValues', 'warning', 'percent'],
      ['events.quarantine', 'events quarantine ratio', 'error', 'percent'],
    ]);
    // users and transactions declare a primary key but no duplicate rule: the platform default applies.
    expect(plan.filter((c) => c.kind === 'duplicates').map((c) => [c.id, c.severity, c.threshold])).toEqual([
      ['events.duplicates.event_id', 'warning', { operator: 'mustBeLessOrEqualTo', value: 5 }],
      ['transactions.duplicates.transaction_id', 'warning', { operator: 'mustBeLessOrEqualTo', value: 5 }],
      ['users.duplicates.user_id', 'warning', { operator: 'mustBeLessOrEqualTo', value: 5 }],
    ]);
    expect(plan.filter((c) => c.kind === 'quarantine')).toHaveLength(contracts.length);
    expect(new Set(plan.map((c) => c.id)).size).toBe(plan.length);
  });

  it('writes SQL in the portable subset of both engines', () => {
    for (const check of plan) expect([check.id, lintGoldSql(check.sql)]).toEqual([check.id, []]);
  });

  it('measures freshness at the end of the as-of day, else at the run time', () => {
    const [withDate] = planChecks(events, { databases, runTime: RUN, asOf: '2024-03-01' });
    expect(withDate.referenceTime).toBe('2024-03-02T00:00:00.000Z');
    expect(planChecks(events, { databases, runTime: RUN })[0].referenceTime).toBe(RUN);
    expect(() => planChecks(events, { databases, runTime: RUN, asOf: '1/3/2024' })).toThrow("asOf must be YYYY-MM-DD, got '1/3/2024'");
  });
});

describe('quality checks on DuckDB (the local Athena engine)', () => {
  let c: DuckDBConnection;
  const value = async (check: QualityCheck) => {
    const rows = (await c.runAndReadAll(check.sql)).getRows();
    expect(rows).toHaveLength(1);
    return rows[0][0] === null ? undefined : String(rows[0][0]);
  };
  beforeAll(async () => {
    c = await (await DuckDBInstance.create(':memory:')).connect();
    for (const s of trinoCompatSql()) await c.run(s);
    await c.run('CREATE SCHEMA s; CREATE SCHEMA o');
    // 2024-03-01..03: 4, 2 and 6 rows; 03-03 is the newest partition with 2 repeated ids and 3 null devices.
    const rows = [
      ...[1, 2, 3, 4].map((i) => `('a${i}', 'mobile', TIMESTAMP '2024-03-01 10:00:00', '2024-03-01')`),
      ...[1, 2].map((i) => `('b${i}', 'mobile', TIMESTAMP '2024-03-02 10:00:00', '2024-03-02')`),
      `('c1', NULL, TIMESTAMP '2024-03-03 08:00:00', '2024-03-03')`,
      `('c1', NULL, TIMESTAMP '2024-03-03 09:00:00', '2024-03-03')`,
      `('c2', NULL, TIMESTAMP '2024-03-03 09:30:00', '2024-03-03')`,
      `('c2', 'desktop', TIMESTAMP '2024-03-03 10:00:00', '2024-03-03')`,
      `('c3', 'desktop', TIMESTAMP '2024-03-03 11:00:00', '2024-03-03')`,
      `('c4', 'desktop', TIMESTAMP '2024-03-03 12:30:15.5', '2024-03-03')`,
    ];
    await c.run(`CREATE TABLE s.events AS SELECT * FROM (VALUES ${rows.join(', ')}) t(event_id, device, "timestamp", dt)`);
    await c.run(`CREATE TABLE o.manifests AS SELECT * FROM (VALUES
      ('events', 100, 10, '2024-03-04T01:00:00.000Z', 'ingested'), ('events', 100, 30, '2024-03-04T02:00:00.000Z', 'ingested'),
      -- A version replaced by a newer one of the same key: its rows left silver, and the ratio leaves it out.
      ('events', 100, 100, '2024-03-04T01:30:00.000Z', 'superseded'),
      ('events', 500, 500, '2024-03-01T00:00:00.000Z', 'ingested'), ('prints', 10, 10, '2024-03-04T02:00:00.000Z', 'ingested')) t(dataset, rows_in, rows_quarantined, processed_at, status)`);
  });
  afterAll(() => c.closeSync());

  it('computes each value exactly', async () => {
    const checks = planChecks(events, { databases, runTime: RUN });
    const byId = Object.fromEntries(checks.map((x) => [x.id, x]));
    expect(await value(byId['events.freshness'])).toBe('2024-03-03T12:30:15.500');
    // 6 rows against the average of 4 and 2.
    expect(Number(await value(byId['events.volume']))).toBe(2);
    expect(Number(await value(byId['events.rowCount']))).toBe(6);
    // 2 of 6 rows repeat an id: 33.3 %.
    expect(Number(await value(byId['events.duplicates.event_id']))).toBeCloseTo(33.333, 3);
    expect(Number(await value(byId['events.nulls.device']))).toBe(50);
    // Files of the last day only: 40 quarantined of 200.
    expect(Number(await value(byId['events.quarantine']))).toBe(20);
    // In DOUBLE on both engines: 2503 of 10000 is 25.03 %, over a threshold of 25 (a decimal(23,1) on Trino
    // would round it to 25.0 and pass).
    await c.run(`CREATE SCHEMA IF NOT EXISTS q`);
    await c.run(`CREATE OR REPLACE TABLE q.manifests AS SELECT 'events' AS dataset, 10000 AS rows_in, 2503 AS rows_quarantined, 'ingested' AS status, '2024-03-04T01:00:00.000Z' AS processed_at`);
    const strict = planChecks(events, { databases: { silver: 's', ops: 'q' }, runTime: RUN }).find((x) => x.id === 'events.quarantine')!;
    expect(Number(await value(strict))).toBe(25.03);
    expect(evaluateCheck(strict, await value(strict)).status).toBe('fail');
    const results = await Promise.all(checks.map(async (x) => evaluateCheck(x, await value(x))));
    expect(results.map((r) => [r.id, r.status, r.value])).toEqual([
      ['events.freshness', 'warn', 23.5],
      ['events.volume', 'pass', 2],
      ['events.rowCount', 'pass', 6],
      ['events.duplicates.event_id', 'warn', results[3].value],
      ['events.nulls.device', 'warn', 50],
      ['events.quarantine', 'pass', 20],
    ]);
    expect(gateOutcome(results).passed).toBe(true);
  });

  it('as of a past date (a backfill), every check sees only the partitions up to that day', async () => {
    const checks = planChecks(events, { databases, runTime: RUN, asOf: '2024-03-02' });
    const results = await Promise.all(checks.map(async (x) => evaluateCheck(x, await value(x))));
    expect(results.map((r) => [r.id, r.status, r.value])).toEqual([
      // The newest event up to 03-02 (10:00) is 14 hours before the end of 03-02: over the 6 h SLA.
      ['events.freshness', 'warn', 14],
      // 03-02's 2 rows against 03-01's 4.
      ['events.volume', 'pass', 0.5],
      ['events.rowCount', 'pass', 2],
      ['events.duplicates.event_id', 'pass', 0],
      ['events.nulls.device', 'pass', 0],
      ['events.quarantine', 'pass', 20],
    ]);
    // Before the first partition there is nothing: the blocking rowCount fails.
    const before = planChecks(events, { databases, runTime: RUN, asOf: '2024-02-29' });
    const rowCount = before.find((x) => x.id === 'events.rowCount')!;
    expect(evaluateCheck(rowCount, await value(rowCount))).toMatchObject({ status: 'fail', value: 0 });
  });

  it('a dataset the as-of date does not apply to is checked on its newest partition, its freshness at the run time', async () => {
    const checks = planChecks(events, { databases, runTime: RUN, asOf: '2024-03-02', asOfDatasets: ['prints'] });
    const byId = Object.fromEntries(checks.map((x) => [x.id, x]));
    expect(Number(await value(byId['events.rowCount']))).toBe(6);
    expect(byId['events.freshness'].referenceTime).toBe(RUN);
  });

  it('an empty table: no volume history counts as normal, zero rows fail the blocking rowCount', async () => {
    await c.run('CREATE SCHEMA e');
    await c.run(`CREATE TABLE e.events AS SELECT * FROM s.events WHERE false`);
    const checks = planChecks(events, { databases: { silver: 'e', ops: 'o' }, runTime: RUN });
    const results = await Promise.all(checks.map(async (x) => evaluateCheck(x, await value(x))));
    expect(results.map((r) => [r.id, r.status, r.value])).toEqual([
      ['events.freshness', 'warn', null],
      ['events.volume', 'pass', 1],
      ['events.rowCount', 'fail', 0],
      ['events.duplicates.event_id', 'pass', 0],
      ['events.nulls.device', 'pass', 0],
      ['events.quarantine', 'pass', 20],
    ]);
    const gate = gateOutcome(results);
    expect(gate.passed).toBe(false);
    expect(gate.message).toBe('quality gate failed; failed checks: events rowCount = 0 rows (mustBeGreaterThan 0)');
  });
});

describe('thresholds', () => {
  it.each([
    ['mustBe', 0, 0, true], ['mustNotBe', 0, 0, false], ['mustBeGreaterThan', 0, 0, false], ['mustBeGreaterOrEqualTo', 0, 0, true],
    ['mustBeLessThan', 5, 5, false], ['mustBeLessOrEqualTo', 5, 5, true], ['mustBeBetween', 3, [1, 3], true], ['mustNotBeBetween', 3, [1, 3], false],
  ] as const)('%s: %p against %p → %p', (operator, v, t, expected) => {
    expect(meetsThreshold(v, { operator, value: t as number })).toBe(expected);
  });
});

describe('sources of Gold datasets', () => {
  it('follows the Gold SQL, through the Gold datasets it reads', () => {
    expect(goldSources(['value_prop_features'])).toEqual(['pays', 'prints', 'taps']);
    expect(goldSources(['daily_kpis'])).toEqual(['events', 'transactions', 'users']);
    expect(goldSources(['data_quality_history'])).toEqual([]);
    expect(goldSources(['daily_kpis', 'value_prop_features'])).toEqual(['events', 'pays', 'prints', 'taps', 'transactions', 'users']);
  });

  it('the sources read up to the as-of date are those of the Gold datasets whose SQL takes it', () => {
    expect(asOfSources(['daily_kpis', 'value_prop_features'])).toEqual(['pays', 'prints', 'taps']);
    expect(asOfSources(['daily_kpis'])).toEqual([]);
  });
});

describe('which Gold datasets a failed check blocks', () => {
  const lineage = goldDatasets().map((d) => goldLineage(d));
  const all = goldDatasets();
  const result = (id: string, status: CheckResult['status'], value = 0): CheckResult => {
    const [dataset, kind] = id.split('.') as [string, CheckResult['kind']];
    return { id, dataset, check: kind === 'duplicates' ? 'duplicate event_id' : `${dataset} ${kind}`, kind, severity: status === 'warn' ? 'warning' : 'error', status, value, unit: 'rows', threshold: 'mustBeGreaterThan 0' };
  };

  it('reads the lineage from the Gold SQL', () => {
    expect(lineage).toEqual([
      { dataset: 'user_session_analysis', sources: ['events', 'transactions', 'users'], reads: [] },
      { dataset: 'daily_kpis', sources: [], reads: ['user_session_analysis'] },
      { dataset: 'daily_revenue', sources: ['transactions'], reads: [] },
      { dataset: 'data_quality_history', sources: [], reads: [] },
      { dataset: 'value_prop_features', sources: ['pays', 'prints', 'taps'], reads: [] },
    ]);
  });

  it('a failed check of events blocks the datasets reading events, directly or through another Gold dataset, and no other', () => {
    const results = [result('events.rowCount', 'fail'), result('prints.rowCount', 'pass', 4), result('events.freshness', 'warn')];
    const verdicts = datasetVerdicts(all, lineage, results);
    expect(verdicts).toEqual([
      { dataset: 'user_session_analysis', blocked: true, blockedBy: ['events.rowCount'], through: [] },
      { dataset: 'daily_kpis', blocked: true, blockedBy: ['events.rowCount'], through: ['user_session_analysis'] },
      { dataset: 'daily_revenue', blocked: false, blockedBy: [], through: [] },
      { dataset: 'data_quality_history', blocked: false, blockedBy: [], through: [] },
      { dataset: 'value_prop_features', blocked: false, blockedBy: [], through: [] },
    ]);
    const gate = gateOutcome(results, verdicts);
    expect([gate.passed, gate.blocked.map((b) => b.dataset), gate.built]).toEqual([false, ['user_session_analysis', 'daily_kpis'], ['daily_revenue', 'data_quality_history', 'value_prop_features']]);
    expect(gate.message).toBe(
      'quality gate failed, Gold not published for user_session_analysis (events rowCount), daily_kpis (events rowCount; through user_session_analysis); ' +
        'published: daily_revenue, data_quality_history, value_prop_features; failed checks: events rowCount = 0 rows (mustBeGreaterThan 0)',
    );
  });

  it('a dataset requested alone is blocked through a Gold dataset it reads even when that one is not requested', () => {
    const results = [result('transactions.quarantine', 'fail', 40), result('events.duplicates', 'fail', 9)];
    const verdicts = datasetVerdicts(['daily_kpis'], lineage, results);
    expect(verdicts).toEqual([{ dataset: 'daily_kpis', blocked: true, blockedBy: ['transactions.quarantine', 'events.duplicates'], through: ['user_session_analysis'] }]);
    // Nothing left to build: no "published" part; check names without their dataset get it.
    expect(gateOutcome(results, verdicts).message).toBe(
      'quality gate failed, Gold not published for daily_kpis (transactions quarantine, events duplicate event_id; through user_session_analysis); ' +
        'failed checks: transactions quarantine = 40 rows (mustBeGreaterThan 0); events duplicate event_id = 9 rows (mustBeGreaterThan 0)',
    );
  });

  it('several failed checks: each dataset lists those of the sources it reads; warnings block nothing', () => {
    const results = [result('taps.rowCount', 'fail'), result('transactions.quarantine', 'fail', 30), result('users.nulls', 'warn')];
    expect(datasetVerdicts(all, lineage, results).map((v) => [v.dataset, v.blockedBy])).toEqual([
      ['user_session_analysis', ['transactions.quarantine']],
      ['daily_kpis', ['transactions.quarantine']],
      ['daily_revenue', ['transactions.quarantine']],
      ['data_quality_history', []],
      ['value_prop_features', ['taps.rowCount']],
    ]);
    const passing = [result('users.nulls', 'warn')];
    expect(datasetVerdicts(all, lineage, passing).every((v) => !v.blocked)).toBe(true);
    expect(gateOutcome(passing, datasetVerdicts(all, lineage, passing))).toMatchObject({ passed: true, blocked: [], built: all });
  });

  it('refuses a lineage that misses a dataset or reads in a cycle', () => {
    expect(() => datasetVerdicts(['daily_kpis'], lineage.filter((l) => l.dataset !== 'user_session_analysis'), [])).toThrow("no lineage for Gold dataset 'user_session_analysis'");
    const cycle = [{ dataset: 'a', sources: [], reads: ['b'] }, { dataset: 'b', sources: [], reads: ['a'] }];
    expect(() => datasetVerdicts(['a'], cycle, [])).toThrow('Gold datasets read each other in a cycle: a → b → a');
  });
});

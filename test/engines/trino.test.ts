import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { planQuery } from '../../lambdas/api/query-plan';
import { filesSource, goldSource, qualitySource, runsSource } from '../../lambdas/api/sources';
import { loadContracts, loadGoldContracts } from '../../lambdas/shared/contracts';
import { goldDatasets } from '../../lambdas/shared/gold';
import { OPERATIONS_PREFIX } from '../../lambdas/shared/manifest';
import { planChecks } from '../../lambdas/shared/quality';
import type { ComparingAthenaEngine } from '../../local/athena-engines';
import { startLocalOrchestration, type LocalOrchestration } from '../../local/orchestration';
import { startE2E, type E2E } from '../e2e/harness';
import { athenaRows } from '../fixtures/athena-rows';
import { GOLD_FIXTURE_AS_OF, writeGoldFixture } from '../fixtures/gold-silver';

/**
 * Every kind of statement the platform sends to Athena, run on the local DuckDB and on a local Trino 476
 * (the engine of Athena engine v3) over the same silver Parquet, Glue tables and operations files in the
 * emulator, through the local Athena's `compare` engine: a statement fails, with both answers, when only
 * one engine accepts it or when the results differ in a column, a type or a value.
 */
const db = { silver: 'medallion_dev_silver', gold: 'medallion_dev_gold', ops: 'medallion_dev_ops' };
let e2e: E2E;
let orchestration: LocalOrchestration;
let engine: ComparingAthenaEngine;
let athena: AthenaClient;

beforeAll(async () => {
  e2e = await startE2E();
  const previous = process.env.MEDALLION_ATHENA_ENGINE;
  process.env.MEDALLION_ATHENA_ENGINE = 'compare';
  try {
    // Creates the Gold views with the custom resource's DDL: on both engines, compared.
    orchestration = await startLocalOrchestration(e2e.platform);
  } finally {
    if (previous === undefined) delete process.env.MEDALLION_ATHENA_ENGINE;
    else process.env.MEDALLION_ATHENA_ENGINE = previous;
  }
  engine = (orchestration.athena as unknown as { engine: ComparingAthenaEngine }).engine;
  athena = new AthenaClient({ endpoint: orchestration.athena.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // The Gold tests' silver fixture and manifests, uploaded where the transform writes them.
  const { silverDir, manifestsDir } = await writeGoldFixture(mkdtempSync(join(tmpdir(), 'engines-')));
  const upload = async (dir: string, prefix: string) => {
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(parquet|json)$/.test(f))) {
      const body = readFileSync(join(dir, file));
      await e2e.platform.s3.send(new PutObjectCommand({ Bucket: e2e.platform.buckets.silver, Key: `${prefix}${relative(dir, join(dir, file))}`, Body: body, ContentLength: body.length }));
    }
  };
  await upload(silverDir, '');
  await upload(manifestsDir, `${OPERATIONS_PREFIX}manifests/`);
}, 300_000);

afterAll(async () => {
  athena?.destroy();
  await orchestration?.close();
  await e2e?.close();
  if (engine?.disagreements.length) process.stderr.write(`engine disagreements:\n${engine.disagreements.map((d) => d.message).join('\n\n')}\n`);
});

/** Runs a statement through the local Athena; returns its rows as text, or throws its failure reason. */
const run = (sql: string, parameters: readonly string[] = [], database = db.gold) => athenaRows(athena, sql, { workGroup: 'medallion-dev-analytics', database, parameters });

describe('every Athena statement of the platform on DuckDB and on Trino', () => {
  it('Gold views: the deployed DDL is accepted by both, and every view gives the same rows, types and values', async () => {
    const compared = engine.compared;
    const counts: Record<string, number> = {};
    for (const dataset of goldDatasets()) counts[dataset] = (await run(`SELECT * FROM ${db.gold}.${dataset}`)).length;
    expect(counts).toEqual({ daily_kpis: 1, daily_revenue: 2, data_quality_history: 2, user_session_analysis: 3, value_prop_features: 4 });
    expect(engine.compared - compared).toBe(goldDatasets().length);
  });

  it('materialized Gold builds: the SELECT of each UNLOAD, then the build written once and published', async () => {
    const { handler } = await import('../../lambdas/gold-build/handler');
    const { builds } = await handler({ asOf: GOLD_FIXTURE_AS_OF });
    expect(builds.map((b) => b.dataset)).toEqual(goldDatasets());
    expect(engine.disagreements).toEqual([]);
  });

  it('every quality check, on the newest data and as of a date', async () => {
    const contracts = loadContracts();
    const checks = [
      ...planChecks(contracts, { databases: db, runTime: '2024-03-04T12:00:00.000Z' }),
      ...planChecks(contracts, { databases: db, runTime: '2024-03-04T12:00:00.000Z', asOf: GOLD_FIXTURE_AS_OF }),
    ];
    const values: Record<string, string | null> = {};
    for (const check of checks) {
      const rows = await run(check.sql, [], db.silver);
      expect([check.id, rows.length]).toEqual([check.id, 1]);
      values[check.id] ??= rows[0][0];
    }
    expect(checks.length).toBeGreaterThanOrEqual(2 * contracts.length * 4);
    expect(values['prints.rowCount']).toBe('3');
    expect(values['events.duplicates.event_id']).toBe('11.11111111111111');
  });

  it("the API's queries, with their execution parameters, on Gold (views and published builds) and the operations tables", async () => {
    const sources = [
      ...loadGoldContracts().map((c) => goldSource(c, db, 'views')),
      filesSource(db),
      runsSource(db),
      qualitySource(db),
    ];
    let statements = 0;
    for (const source of sources) {
      const first = source.columns[0];
      const rows = await run(planQuery(source, {}).sql, planQuery(source, {}).parameters);
      const requests: Record<string, string[]>[] = [{ limit: ['2'], orderBy: [`-${first.name}`] }];
      if (rows.length > 0 && rows[0][0] !== null) requests.push({ [first.name]: [rows[0][0]] }, { [first.name]: [`in:${rows[0][0]}`] });
      for (const request of requests) {
        const plan = planQuery(source, request);
        await run(plan.sql, plan.parameters);
        statements++;
      }
    }
    expect(statements).toBeGreaterThanOrEqual(sources.length);
    expect(engine.disagreements).toEqual([]);
  });

  it('the API\'s deployed read path: on Trino, each published build holds the rows of its view as of its date', async () => {
    // The local DuckDB has no materialized builds (the local API reads the views): Trino alone reads the
    // `<dataset>_published` tables the build above registered in Glue, partition by partition.
    for (const contract of loadGoldContracts()) {
      const sorted = (rows: readonly (readonly (string | null)[])[]) => rows.map((r) => JSON.stringify(r)).sort();
      const published = planQuery(goldSource(contract, db, 'published'), {});
      const view = planQuery(goldSource(contract, db, 'views'), {});
      const fromBuild = await engine.reference.execute(published.sql, published.parameters, db.gold);
      const fromView = await engine.reference.execute(view.sql, view.parameters, db.gold);
      expect([contract.name, fromBuild.columns]).toEqual([contract.name, fromView.columns]);
      expect([contract.name, sorted(fromBuild.rows)]).toEqual([contract.name, sorted(fromView.rows)]);
    }
  });

  it('UNLOAD on Trino (the --engine trino path) writes the Parquet of its SELECT where Athena would', async () => {
    const location = `s3://${e2e.platform.buckets.gold}/engine-check/unload/`;
    await engine.reference.execute(`UNLOAD (SELECT date, currency, revenue FROM ${db.gold}.daily_revenue) TO '${location}' WITH (format = 'PARQUET', compression = 'ZSTD')`, [], db.gold);
    const keys = await e2e.keys(e2e.platform.buckets.gold, 'engine-check/unload/');
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const rows = (await Promise.all(keys.map((k) => e2e.parquetFrom(e2e.platform.buckets.gold, k, 'SELECT CAST(date AS VARCHAR) AS date, currency, CAST(revenue AS VARCHAR) AS revenue FROM t')))).flat();
    const view = await engine.reference.execute(`SELECT CAST(date AS VARCHAR), currency, CAST(revenue AS VARCHAR) FROM ${db.gold}.daily_revenue`, [], db.gold);
    expect(rows.map((r) => [r.date, r.currency, r.revenue]).sort()).toEqual(view.rows.map((r) => [...r]).sort());
  });

  it('fails a statement only one engine accepts, or whose results differ, with both answers', async () => {
    await expect(run('SELECT list_value(1, 2) AS l')).rejects.toThrow(/^DuckDB and Trino disagree \(only DuckDB accepts it\) on:\n {2}SELECT list_value\(1, 2\) AS l\n {2}DuckDB: columns \[l array\]\n {4}\["\[1, 2\]"\]\n {2}Trino: failed: .*list_value/);
    // A timestamp with an offset cast without AT TIME ZONE: Trino keeps the wall-clock time (issue 13).
    await expect(run("SELECT CAST(from_iso8601_timestamp('2024-03-01T10:00:00+02:00') AS TIMESTAMP) AS t")).rejects.toThrow(
      'DuckDB and Trino disagree (row 1 (rows sorted) differs: ["2024-03-01 08:00:00.000"] against ["2024-03-01 10:00:00.000"])',
    );
    engine.disagreements.length = 0;
  });
});

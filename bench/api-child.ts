/**
 * The HTTP API benchmark in its own process: `tsx bench/api-child.ts <prints> <requests>`.
 * Generates clean sample data, ingests it through the local platform, serves the API, then measures
 * GET /v1/datasets/value_prop_features/rows (warm) with Athena result reuse off and on, and the bare
 * DuckDB time of the very SQL the handler sends (parameters bound) on the same silver files.
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { planQuery } from '../lambdas/api/query-plan';
import { goldSource } from '../lambdas/api/sources';
import { loadContracts, loadGoldContracts } from '../lambdas/shared/contracts';
import { goldDatasets, goldSqlText, renderGoldSql, trinoCompatSql } from '../lambdas/shared/gold';
import { datasetAsOfExpression } from '../lambdas/shared/quality';
import { OPERATIONS_PREFIX } from '../lambdas/shared/manifest';
import { glueDatabaseName } from '../lib/naming';
import { bindParameters } from '../local/athena-engines';
import { generate } from '../local/generate';
import { registerSources } from '../local/gold';
import { readManifest, uploadDirectory } from '../local/ingest';
import { startLocalPlatform } from '../local/platform';
import { mirror } from '../local/s3-mirror';
import { startApiServer } from '../local/serve';

const PATH = '/v1/datasets/value_prop_features/rows';
const QUERY = { day: ['gte:2020-11-25'], limit: ['100'] };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: +percentile(sorted, 50).toFixed(2), p99: +percentile(sorted, 99).toFixed(2) };
};

async function main(): Promise<void> {
  const [prints, requests] = process.argv.slice(2).map(Number);
  const input = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const platform = await startLocalPlatform();
  try {
    await generate(input, { rows: prints, seed: 42, dirty: false });
    const api = await startApiServer(platform, { port: 0, throttle: { rateLimit: 1e6, burstLimit: 5000 } });
    try {
      const refs = await uploadDirectory(platform, input);
      for (let pending = refs; pending.length > 0; ) {
        const done = await Promise.all(pending.map((r) => readManifest(platform, r)));
        pending = pending.filter((_r, i) => !done[i]);
        if (pending.length) await new Promise((r) => setTimeout(r, 200));
      }
      const url = `${api.url}${PATH}?day=${QUERY.day[0]}&limit=${QUERY.limit[0]}`;
      const timed = async () => {
        const t0 = process.hrtime.bigint();
        const res = await fetch(url);
        const body = (await res.json()) as { rows: unknown[] };
        if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
        return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rows: body.rows.length };
      };
      const series = async (reuseMinutes: number) => {
        process.env.RESULT_REUSE_MINUTES = String(reuseMinutes);
        for (let i = 0; i < 5; i++) await timed(); // warm-up
        const samples: number[] = [];
        let rows = 0;
        for (let i = 0; i < requests; i++) {
          const r = await timed();
          samples.push(r.ms);
          rows = r.rows;
        }
        return { ...stats(samples), rows };
      };
      const noReuse = await series(0);
      const reuse = await series(60);

      // The same SQL on a bare DuckDB over the same silver files, with the Gold views of sql/gold.
      const silverDir = join(input, 'mirror');
      await mirror(platform, platform.buckets.silver, '', silverDir, (key) => key.startsWith(OPERATIONS_PREFIX));
      const databases = { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') };
      const c = await (await DuckDBInstance.create(':memory:')).connect();
      for (const s of trinoCompatSql()) await c.run(s);
      await registerSources(c, { contracts: loadContracts(), silverDir, manifestsDir: join(input, 'none'), databases });
      for (const d of goldDatasets()) await c.run(`CREATE OR REPLACE VIEW ${databases.gold}.${d} AS ${renderGoldSql(goldSqlText(d), { ...databases, as_of: datasetAsOfExpression(d, databases.silver, undefined) })}`);
      const contract = loadGoldContracts().find((g) => g.name === 'value_prop_features')!;
      const plan = planQuery(goldSource(contract, databases, 'views'), QUERY);
      // The handler reads one page of `limit` rows of the full result; so does this.
      const sql = bindParameters(plan.sql, plan.parameters);
      const duck: number[] = [];
      for (let i = 0; i < 5 + requests; i++) {
        const t0 = process.hrtime.bigint();
        const reader = await c.runAndReadUntil(sql, plan.limit);
        if (i >= 5) duck.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (reader.currentRowCount < Math.min(plan.limit, noReuse.rows)) throw new Error('bare DuckDB returned fewer rows than the API');
      }
      c.closeSync();
      const bare = stats(duck);
      console.log(
        JSON.stringify({
          prints,
          requests,
          rows_per_page: noReuse.rows,
          api_no_reuse_p50_ms: noReuse.p50,
          api_no_reuse_p99_ms: noReuse.p99,
          api_reuse_p50_ms: reuse.p50,
          api_reuse_p99_ms: reuse.p99,
          duckdb_p50_ms: bare.p50,
          duckdb_p99_ms: bare.p99,
          ratio_no_reuse: +(bare.p50 / noReuse.p50).toFixed(2),
          ratio_reuse: +(bare.p50 / reuse.p50).toFixed(2),
        }),
      );
    } finally {
      await api.close();
    }
  } finally {
    await platform.close();
    rmSync(input, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});

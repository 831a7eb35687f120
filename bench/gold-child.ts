/**
 * One Gold benchmark measurement in its own process (peak RSS is its own):
 *   tsx bench/gold-child.ts prepare <dir> <prints>   silver prints/taps/pays Parquet for 28 days
 *   tsx bench/gold-child.ts platform <dir>           the local Gold build (portable SQL, compat layer)
 *   tsx bench/gold-child.ts duckdb <dir>             value_prop_features by a hand-written DuckDB query (window frames)
 * Prints one JSON line: {seconds, rows, maxRssMb}.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts } from '../lambdas/shared/contracts';
import { buildGold } from '../local/gold';

const AS_OF = '2020-11-28';

async function main(): Promise<void> {
  const [mode, dir, arg] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const db = await DuckDBInstance.create(':memory:', { memory_limit: process.env.DUCKDB_MEMORY_LIMIT ?? '2GB', temp_directory: join(dir, 'spill') });
  const c = await db.connect();
  let rows = 0;
  const silver = join(dir, 'silver');
  if (mode === 'prepare') {
    const prints = Number(arg);
    const users = Math.max(10, Math.floor(prints / 20));
    const lineage = `'bench' AS _source_key, 'v' AS _source_version, 'f' AS _file_id, TIMESTAMP '2020-12-01 00:00:00' AS _ingested_at`;
    for (const [name, n, extra] of [
      ['prints', prints, ''],
      ['taps', Math.floor(prints / 10), ''],
      ['pays', Math.floor(prints * 0.03), 'pays'],
    ] as const) {
      mkdirSync(join(silver, name), { recursive: true });
      const columns =
        extra === 'pays'
          ? `DATE '2020-11-01' + CAST(i % 28 AS INTEGER) AS pay_date, CAST((i % 20000) / 100.0 AS DECIMAL(18,2)) AS total, CAST(hash(i) % ${users} AS BIGINT) AS user_id, ['cellphone_recharge','link_cobro','point','prepaid','send_money','transport','credits_consumer','virtual_card'][1 + CAST(hash(i * 7) % 8 AS INTEGER)] AS value_prop`
          : `DATE '2020-11-01' + CAST(i % 28 AS INTEGER) AS day, CAST(hash(i + ${name === 'taps' ? 1 : 0}) % ${users} AS BIGINT) AS user_id, ['cellphone_recharge','link_cobro','point','prepaid','send_money','transport','credits_consumer','virtual_card'][1 + CAST(hash(i * 7) % 8 AS INTEGER)] AS value_prop, CAST(i % 4 AS INTEGER) AS position`;
      const dateColumn = extra === 'pays' ? 'pay_date' : 'day';
      await c.run(`COPY (SELECT *, CAST(${dateColumn} AS VARCHAR) AS dt FROM (SELECT ${columns}, ${lineage} FROM range(${n}) t(i))) TO '${join(silver, name)}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), OVERWRITE)`);
    }
    rows = prints;
  } else if (mode === 'platform') {
    const outputs = await buildGold({
      contracts: loadContracts(),
      silverDir: silver,
      manifestsDir: join(dir, 'no-manifests'),
      databases: { silver: 'bench_silver', gold: 'bench_gold', ops: 'bench_ops' },
      asOf: AS_OF,
      outDir: join(dir, 'gold'),
      memoryLimit: process.env.DUCKDB_MEMORY_LIMIT,
    });
    rows = outputs.find((o) => o.dataset === 'value_prop_features')!.rows;
  } else if (mode === 'duckdb') {
    const src = (name: string) => `read_parquet('${join(silver, name)}/*/*.parquet')`;
    await c.run(`COPY (
      WITH daily AS (
        SELECT user_id, value_prop, day, sum(np) AS np, sum(nt) AS nt, sum(ny) AS ny, sum(amt) AS amt FROM (
          SELECT user_id, value_prop, day, count(*) AS np, 0 AS nt, 0 AS ny, 0 AS amt FROM ${src('prints')} GROUP BY ALL
          UNION ALL SELECT user_id, value_prop, day, 0, count(*), 0, 0 FROM ${src('taps')} GROUP BY ALL
          UNION ALL SELECT user_id, value_prop, pay_date, 0, 0, count(*), sum(total) FROM ${src('pays')} GROUP BY ALL
        ) GROUP BY ALL
      ), w AS (
        SELECT *, sum(np) OVER win AS p3, sum(nt) OVER win AS t3, sum(ny) OVER win AS y3, sum(amt) OVER win AS a3
        FROM daily WINDOW win AS (PARTITION BY user_id, value_prop ORDER BY day RANGE BETWEEN INTERVAL 21 DAY PRECEDING AND INTERVAL 1 DAY PRECEDING)
      )
      SELECT p.day, p.user_id, p.value_prop, p.position, w.nt > 0 AS clicked, coalesce(w.p3, 0) AS prints_3w, coalesce(w.t3, 0) AS taps_3w,
        coalesce(w.y3, 0) AS pays_3w, CAST(coalesce(w.a3, 0) AS DECIMAL(18,2)) AS amount_3w
      FROM ${src('prints')} p JOIN w USING (user_id, value_prop, day)
      WHERE p.day BETWEEN DATE '${AS_OF}' - 6 AND DATE '${AS_OF}'
    ) TO '${join(dir, 'bare.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    rows = Number((await c.runAndReadAll(`SELECT count(*) FROM '${join(dir, 'bare.parquet')}'`)).getRows()[0][0]);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  c.closeSync();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ seconds, rows, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});

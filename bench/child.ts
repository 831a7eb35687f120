/**
 * One benchmark measurement in its own process, so that peak RSS belongs to it alone:
 *   tsx bench/child.ts transform <file> <outDir>   the platform's transform: the download step (the file
 *                                                  streamed through `materialize`: SHA-256, gunzip, BOM and
 *                                                  CRLF handling, written to disk), then the engine on the
 *                                                  downloaded file; each timed on its own
 *   tsx bench/child.ts transform-bad-row <file> <outDir>   the same, on a file with exactly one row breaking a rule
 *   tsx bench/child.ts duckdb <file> <outDir>      bare DuckDB: read the NDJSON with its schema, COPY to partitioned zstd Parquet
 * Prints one JSON line: {seconds, rows, maxRssMb} (+ downloadSeconds for the transform; seconds is the engine's).
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts } from '../lambdas/shared/contracts';
import { transformFile } from '../lambdas/transform/engine';
import { scanOptionsFor } from '../lambdas/transform/limits';
import { materialize } from '../lambdas/transform/source-file';

async function main(): Promise<void> {
  const [mode, file, outDir] = process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  // Contracts are loaded once per Lambda container (the handler's module scope), not per file.
  const contract = loadContracts().find((c) => c.name === 'prints')!;
  let started = process.hrtime.bigint();
  let rows: number;
  let downloadSeconds: number | undefined;
  if (mode === 'transform' || mode === 'transform-bad-row') {
    const source = await materialize(createReadStream(file), join(outDir, 'source.txt'), { scan: scanOptionsFor(contract) });
    downloadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    started = process.hrtime.bigint();
    const result = await transformFile({
      contract,
      textPath: source.path,
      pieces: source.pieces,
      lineage: { sourceKey: 'prints/bench.json', sourceVersion: 'v1', fileId: 'bench', ingestedAt: '2020-12-01T00:00:00Z' },
      outDir: join(outDir, 'out'),
      projectionStartDate: '2000-01-01',
    });
    const expected = mode === 'transform' ? 0 : 1;
    if (result.rowsQuarantined !== expected) throw new Error(`expected ${expected} quarantined row(s), got ${result.rowsQuarantined}: ${JSON.stringify(result.reasons)}`);
    rows = result.rowsIn;
  } else if (mode === 'duckdb') {
    const db = await DuckDBInstance.create(':memory:', { temp_directory: join(outDir, 'spill'), memory_limit: process.env.DUCKDB_MEMORY_LIMIT! });
    const c = await db.connect();
    await c.run(`COPY (
        SELECT day, user_id, event_data.value_prop AS value_prop, event_data.position AS position, day AS dt
        FROM read_json('${file}', format = 'newline_delimited',
          columns = {day: 'DATE', event_data: 'STRUCT(position INTEGER, value_prop VARCHAR)', user_id: 'BIGINT'})
      ) TO '${join(outDir, 'out')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), OVERWRITE)`);
    rows = Number((await c.runAndReadAll(`SELECT count(*) FROM read_parquet('${join(outDir, 'out')}/*/*.parquet')`)).getRows()[0][0]);
    c.closeSync();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ seconds, rows, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...(downloadSeconds === undefined ? {} : { downloadSeconds }) }));
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});

/**
 * npm run bench, each measurement next to a reference measured in the same run:
 * - the transform against bare DuckDB read + COPY on generated prints files (BENCH_SIZES_MB, default
 *   "10,100,1000"; DUCKDB_MEMORY_LIMIT, default 1GB, applies to both sides). Both start from the file on
 *   local disk; the transform's download step (the file streamed through `materialize` as the Lambda
 *   streams the S3 body: SHA-256, gunzip, BOM/CRLF, written to disk) is timed on its own and reported
 *   next to it, with the ratio it would give if counted. Each side runs BENCH_REPEAT times (default 3),
 *   alternating; the medians are reported, with the spread of the per-run ratios;
 * - the local Gold build against a hand-written DuckDB query for value_prop_features on generated silver
 *   data (BENCH_GOLD_PRINTS, default "1000000,10000000"; BENCH_GOLD_MEMORY_LIMIT, default 4GB, both
 *   sides), checking both give the same rows;
 * - the HTTP API: p50/p99 latency of GET /v1/datasets/{name}/rows on the local stack (warm, Athena result
 *   reuse off and on) against the bare DuckDB time of the same SQL (BENCH_API_PRINTS, default 5000;
 *   BENCH_API_REQUESTS per series, default 200).
 * BENCH_ONLY (e.g. `api` or `transform,gold`) runs some sections; the others keep their previous figures.
 * Results go to bench/results.json and stdout.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const WORK = join(ROOT, '.bench');
const VALUE_PROPS = ['cellphone_recharge', 'link_cobro', 'point', 'prepaid', 'send_money', 'transport', 'credits_consumer', 'virtual_card'];

/** Writes clean prints NDJSON of about `mb` megabytes over 28 days (deterministic). */
async function printsFile(mb: number): Promise<string> {
  const path = join(WORK, `prints-${mb}mb.json`);
  if (existsSync(path)) return path;
  mkdirSync(WORK, { recursive: true });
  const out = createWriteStream(path);
  const target = mb * 1024 * 1024;
  let written = 0;
  let i = 0;
  while (written < target) {
    const lines: string[] = [];
    for (let j = 0; j < 10_000; j++, i++) {
      const day = `2020-11-${String(1 + (i % 28)).padStart(2, '0')}`;
      lines.push(`{"day":"${day}","event_data":{"position":${i % 4},"value_prop":"${VALUE_PROPS[(i * 7) % 8]}"},"user_id":${(i * 2654435761) % 1_000_000}}`);
    }
    const chunk = `${lines.join('\n')}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return path;
}

/**
 * The same prints file with one row in the middle breaking a rule (`position` -1): a delivery with one bad
 * row, the common case of dirty data.
 */
function badRowFile(clean: string): string {
  const path = clean.replace(/\.json$/, '-bad-row.json');
  if (existsSync(path)) return path;
  const size = statSync(clean).size;
  const input = openSync(clean, 'r');
  const output = openSync(path, 'w');
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  // The line that starts after the middle byte gets `"position":-1`.
  const probe = Buffer.alloc(4096);
  readSync(input, probe, 0, probe.length, Math.floor(size / 2));
  const lineStart = Math.floor(size / 2) + probe.indexOf(0x0a) + 1;
  const copy = (from: number, to: number) => {
    for (let offset = from; offset < to; ) {
      const n = readSync(input, buffer, 0, Math.min(buffer.length, to - offset), offset);
      writeSync(output, buffer, 0, n);
      offset += n;
    }
  };
  copy(0, lineStart);
  const line = Buffer.alloc(4096);
  readSync(input, line, 0, line.length, lineStart);
  const text = line.subarray(0, line.indexOf(0x0a)).toString('utf8');
  writeSync(output, Buffer.from(text.replace(/"position":\d+/, '"position":-1')));
  copy(lineStart + Buffer.byteLength(text), size);
  closeSync(input);
  closeSync(output);
  return path;
}

interface Measure {
  seconds: number;
  rows: number;
  maxRssMb: number;
  downloadSeconds?: number;
}

function child(script: string, args: string[], memoryLimit: string): Measure {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    // Both sides of a comparison get the same DuckDB memory limit (spilling to disk past it).
    env: { ...process.env, DUCKDB_MEMORY_LIMIT: memoryLimit },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${script} ${args[0]} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Measure;
}

function measure(mode: string, file: string): Measure {
  const outDir = join(WORK, `out-${mode}`);
  rmSync(outDir, { recursive: true, force: true });
  const m = child('child.ts', [mode, file, outDir], process.env.DUCKDB_MEMORY_LIMIT ?? '1GB');
  rmSync(outDir, { recursive: true, force: true });
  return m;
}

/** Gold: the local build of every Gold dataset against a hand-written DuckDB query for value_prop_features. */
async function gold(prints: number) {
  const dir = join(WORK, `gold-${prints}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const limit = process.env.BENCH_GOLD_MEMORY_LIMIT ?? '4GB';
  child('gold-child.ts', ['prepare', dir, String(prints)], limit);
  const bare = child('gold-child.ts', ['duckdb', dir], limit);
  const platform = child('gold-child.ts', ['platform', dir], limit);
  if (bare.rows !== platform.rows) throw new Error(`value_prop_features rows differ: platform ${platform.rows}, bare DuckDB ${bare.rows}`);
  const check = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
    const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => {
      const c = await (await DuckDBInstance.create(':memory:')).connect();
      const a = "'${join(dir, 'bare.parquet')}'", b = "'${join(dir, 'gold', 'value_prop_features.parquet')}'";
      const r = await c.runAndReadAll('SELECT (SELECT count(*) FROM (SELECT * FROM ' + a + ' EXCEPT ALL SELECT * FROM ' + b + ')) + (SELECT count(*) FROM (SELECT * FROM ' + b + ' EXCEPT ALL SELECT * FROM ' + a + '))');
      console.log(String(r.getRows()[0][0]));
    })();`], { cwd: ROOT, encoding: 'utf8' });
  if (check.stdout.trim() !== '0') throw new Error(`value_prop_features differs from the bare DuckDB result (${check.stdout.trim()} rows) ${check.stderr}`);
  rmSync(dir, { recursive: true, force: true });
  return {
    prints,
    value_prop_features_rows: platform.rows,
    platform_s: +platform.seconds.toFixed(2),
    platform_peak_rss_mb: platform.maxRssMb,
    duckdb_s: +bare.seconds.toFixed(2),
    duckdb_peak_rss_mb: bare.maxRssMb,
    ratio: +(bare.seconds / platform.seconds).toFixed(2),
  };
}

interface ApiBench {
  prints: number;
  requests: number;
  rows_per_page: number;
  api_no_reuse_p50_ms: number;
  api_no_reuse_p99_ms: number;
  api_reuse_p50_ms: number;
  api_reuse_p99_ms: number;
  duckdb_p50_ms: number;
  duckdb_p99_ms: number;
  ratio_no_reuse: number;
  ratio_reuse: number;
}

/** The HTTP API on the local stack against bare DuckDB, in a process of its own. */
function api(prints: number, requests: number): ApiBench {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'api-child.ts'), String(prints), String(requests)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`api-child.ts failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ApiBench;
}

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? 'transform,gold,api').split(',');
  const previous = existsSync(join(__dirname, 'results.json')) ? (JSON.parse(readFileSync(join(__dirname, 'results.json'), 'utf8')) as Record<string, unknown>) : {};
  const sizes = only.includes('transform') ? (process.env.BENCH_SIZES_MB ?? '10,100,1000').split(',').filter(Boolean).map(Number) : [];
  const results = [];
  for (const mb of sizes) {
    const file = await printsFile(mb);
    const bad = badRowFile(file);
    const bytes = statSync(file).size;
    // Both sides alternate, BENCH_REPEAT times (default 3); the figures are the medians, and the
    // spread of the per-run ratios is reported with them.
    const pairs = Array.from({ length: Number(process.env.BENCH_REPEAT ?? 3) }, () => {
      const pair = { duckdb: measure('duckdb', file), transform: measure('transform', file), badRow: measure('transform-bad-row', bad) };
      if (pair.transform.rows !== pair.duckdb.rows) throw new Error(`row counts differ: transform ${pair.transform.rows}, duckdb ${pair.duckdb.rows}`);
      return pair;
    });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const ratios = pairs.map((p) => p.duckdb.seconds / p.transform.seconds);
    const duckdb = { ...pairs[0].duckdb, seconds: median(pairs.map((p) => p.duckdb.seconds)), maxRssMb: Math.max(...pairs.map((p) => p.duckdb.maxRssMb)) };
    const transform = {
      ...pairs[0].transform,
      seconds: median(pairs.map((p) => p.transform.seconds)),
      maxRssMb: Math.max(...pairs.map((p) => p.transform.maxRssMb)),
      downloadSeconds: median(pairs.map((p) => p.transform.downloadSeconds!)),
    };
    const badRow = { seconds: median(pairs.map((p) => p.badRow.seconds)), maxRssMb: Math.max(...pairs.map((p) => p.badRow.maxRssMb)) };
    const badRatios = pairs.map((p) => p.badRow.seconds / p.transform.seconds);
    const download = transform.downloadSeconds;
    const row = {
      input_mb: Math.round(bytes / 1024 / 1024),
      rows: transform.rows,
      download_s: +download.toFixed(2),
      transform_s: +transform.seconds.toFixed(2),
      transform_rows_per_s: Math.round(transform.rows / transform.seconds),
      transform_mb_per_s: +(bytes / 1024 / 1024 / transform.seconds).toFixed(1),
      transform_peak_rss_mb: transform.maxRssMb,
      duckdb_s: +duckdb.seconds.toFixed(2),
      duckdb_mb_per_s: +(bytes / 1024 / 1024 / duckdb.seconds).toFixed(1),
      duckdb_peak_rss_mb: duckdb.maxRssMb,
      throughput_ratio: +(duckdb.seconds / transform.seconds).toFixed(2),
      runs: pairs.length,
      throughput_ratio_range: [+Math.min(...ratios).toFixed(2), +Math.max(...ratios).toFixed(2)],
      with_download_ratio: +(duckdb.seconds / (download + transform.seconds)).toFixed(2),
      bad_row_s: +badRow.seconds.toFixed(2),
      bad_row_peak_rss_mb: badRow.maxRssMb,
      /** Time of the file with one bad row over the clean file's (target ≤ 1.5), median of the per-run ratios. */
      bad_row_ratio: +median(badRatios).toFixed(2),
      bad_row_ratio_range: [+Math.min(...badRatios).toFixed(2), +Math.max(...badRatios).toFixed(2)],
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }
  const goldResults = [];
  for (const prints of only.includes('gold') ? (process.env.BENCH_GOLD_PRINTS ?? '1000000,10000000').split(',').filter(Boolean).map(Number) : []) {
    const row = await gold(prints);
    goldResults.push(row);
    console.log(JSON.stringify(row));
  }
  const apiResults = only.includes('api') ? [api(Number(process.env.BENCH_API_PRINTS ?? 5000), Number(process.env.BENCH_API_REQUESTS ?? 200))] : [];
  for (const a of apiResults) console.log(JSON.stringify(a));
  writeFileSync(
    join(__dirname, 'results.json'),
    `${JSON.stringify(
      {
        machine: `${process.arch}, node ${process.version}`,
        results: only.includes('transform') ? results : previous.results,
        gold: only.includes('gold') ? goldResults : previous.gold,
        api: only.includes('api') ? apiResults : previous.api,
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    '\n| input | rows | transform | rows/s | MB/s | peak RSS | bare DuckDB (peak RSS) | throughput ratio (runs: min–max) | download step | ratio with the download step | one bad row (peak RSS) | bad-row ratio (min–max) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of results) {
    console.log(
      `| ${r.input_mb} MB | ${r.rows} | ${r.transform_s} s | ${r.transform_rows_per_s} | ${r.transform_mb_per_s} | ${r.transform_peak_rss_mb} MB | ${r.duckdb_s} s (${r.duckdb_peak_rss_mb} MB) | ${r.throughput_ratio} (${r.runs}: ${r.throughput_ratio_range.join('–')}) | ${r.download_s} s | ${r.with_download_ratio} | ${r.bad_row_s} s (${r.bad_row_peak_rss_mb} MB) | ${r.bad_row_ratio} (${r.bad_row_ratio_range.join('–')}) |`,
    );
  }
  console.log('\n| prints | value_prop_features rows | local Gold build (peak RSS) | bare DuckDB query (peak RSS) | ratio |\n| --- | --- | --- | --- | --- |');
  for (const g of goldResults) {
    console.log(`| ${g.prints} | ${g.value_prop_features_rows} | ${g.platform_s} s (${g.platform_peak_rss_mb} MB) | ${g.duckdb_s} s (${g.duckdb_peak_rss_mb} MB) | ${g.ratio} |`);
  }
  console.log('\n| prints | requests | API p50 / p99, no reuse | API p50 / p99, result reuse | bare DuckDB p50 / p99 | ratio (no reuse / reuse) |\n| --- | --- | --- | --- | --- | --- |');
  for (const a of apiResults) {
    console.log(`| ${a.prints} | ${a.requests} | ${a.api_no_reuse_p50_ms} / ${a.api_no_reuse_p99_ms} ms | ${a.api_reuse_p50_ms} / ${a.api_reuse_p99_ms} ms | ${a.duckdb_p50_ms} / ${a.duckdb_p99_ms} ms | ${a.ratio_no_reuse} / ${a.ratio_reuse} |`);
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

#!/usr/bin/env node
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { generate } from './generate';
import { startLocalPlatform } from './platform';
import { runBatch, type RunReport } from './run';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  return n;
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError(`expected YYYY-MM-DD, got '${value}'`);
  return value;
}

function summary(report: RunReport, outDir: string): string {
  const byStatus = new Map<string, number>();
  for (const f of report.files) byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + 1);
  const sum = (k: 'rows_in' | 'rows_valid' | 'rows_quarantined') => report.files.reduce((n, f) => n + f[k], 0);
  return [
    `files: ${report.files.length} (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')})`,
    `rows: ${sum('rows_in')} in, ${sum('rows_valid')} valid, ${sum('rows_quarantined')} quarantined`,
    ...report.files.filter((f) => f.status !== 'ingested').map((f) => `  ${f.status}: ${f.key}${f.error ? ` — ${f.error}` : f.duplicate_of ? ` — same bytes as ${f.duplicate_of}` : ''}`),
    ...report.orchestration.map((o) => `${o.name}: ${o.status}, ${o.states.length} states`),
    `quality: ${report.quality.length} checks, ${report.quality.filter((q) => q.status === 'warn').length} warning(s), ${report.quality.filter((q) => q.status === 'fail').length} failed`,
    ...report.quality.filter((q) => q.status !== 'pass').map((q) => `  ${q.status}: ${q.dataset} ${q.check} = ${q.value === null ? 'no value' : Number(q.value.toFixed(2))}`),
    ...report.gold.map((g) => `gold ${g.dataset}: ${g.rows} rows`),
    `outputs: ${join(outDir, 'silver')}, ${join(outDir, 'quarantine')}, ${join(outDir, 'gold')}, ${join(outDir, 'report.json')}`,
  ].join('\n');
}

async function runCommand(inputDir: string, opts: { out: string; endpoint?: string; asOf?: string }): Promise<void> {
  const platform = await startLocalPlatform({ endpoint: opts.endpoint });
  try {
    const outDir = resolve(opts.out);
    let last = -1;
    const report = await runBatch(platform, resolve(inputDir), {
      outDir,
      asOf: opts.asOf,
      onProgress: (done, total) => {
        if (done !== last) process.stderr.write(`\rtransform: ${done}/${total} files`);
        last = done;
      },
    });
    process.stderr.write('\n');
    console.log(summary(report, outDir));
  } finally {
    await platform.close();
  }
}

const program = new Command('local')
  .description('Run the medallion platform on this machine with the same handlers, contracts and SQL as in AWS.')
  .option('--endpoint <url>', 'use an AWS emulator already running (LocalStack, moto) instead of starting moto; AWS_ENDPOINT_URL works too');

program
  .command('run')
  .description('upload every file under <input-dir>/<dataset>/ to bronze, process them all, export results, exit')
  .argument('<input-dir>', 'folder with one sub-folder per dataset')
  .option('--out <dir>', 'output folder', './local-out')
  .option('--as-of <date>', 'as-of date of the Gold build (YYYY-MM-DD)', isoDate)
  .action(async (inputDir: string, opts: { out: string; asOf?: string }) => runCommand(inputDir, { ...opts, ...program.opts<{ endpoint?: string }>() }));

program
  .command('generate')
  .description('write sample source files for every dataset in the layout `run` reads')
  .argument('<dir>', 'output folder')
  .option('--rows <n>', 'number of prints (other sources scale from it)', positiveInt, 1000)
  .option('--seed <n>', 'random seed; the same seed gives the same files', positiveInt, 42)
  .option('--dirty', 'inject realistic defects', false)
  .action(async (dir: string, opts: { rows: number; seed: number; dirty: boolean }) => {
    const files = await generate(resolve(dir), opts);
    console.log(`wrote ${files.length} files, ${files.reduce((n, f) => n + f.rows, 0)} rows, under ${resolve(dir)}`);
  });

program.action(async () => {
  const input = mkdtempSync(join(tmpdir(), 'medallion-sample-'));
  await generate(input, { rows: 2000, seed: 42, dirty: true });
  console.log(`sample data: ${input}`);
  await runCommand(input, { out: './local-out', ...program.opts<{ endpoint?: string }>() });
});

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});

#!/usr/bin/env node
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { didYouMean } from '../lib/config/did-you-mean';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ATHENA_ENGINES } from './athena';
import { checkExampleDatasets, generate } from './generate';
import { defaultContractsDir, loadContracts } from '../lambdas/shared/contracts';
import { LOCAL_REGION, startLocalPlatform } from './platform';
import { checkLabel } from '../lambdas/shared/quality';
import { goldDatasets } from '../lambdas/shared/gold';
import { OrchestrationFailed, RunFailed, runBatch, type RunPhase, type RunReport } from './run';
import { routeList, startApiServer } from './serve';
import type { LocalPlatform } from './platform';
import { bucketCounts, checkSameProject, down, forgetStale, leasePlatform, register, savedSummary, shown, up, type Lease } from './lifetime';
import { describe, readState, stateFolder, type StateFolder } from './state';
import { onStopSignal } from './signals';
import { readSavedData } from './persist';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  return n;
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError(`expected YYYY-MM-DD, got '${value}'`);
  return value;
}

/** Files not ingested that the summary names one by one; the rest are counted, with where to read them. */
const SHOWN_FILES = 10;

/** What `run` prints: files and rows, the orchestration, failed and warned checks, each Gold dataset built or blocked (and why), the outputs. */
function summary(report: RunReport, outDir: string): string {
  const byStatus = new Map<string, number>();
  const labels = new Map(report.quality.map((q) => [q.id, checkLabel(q)]));
  for (const f of report.files) byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + 1);
  const sum = (k: 'rows_in' | 'rows_valid' | 'rows_quarantined') => report.files.reduce((n, f) => n + f[k], 0);
  const notIngested = report.files.filter((f) => f.status !== 'ingested');
  return [
    `files: ${report.files.length} (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')})`,
    `rows: ${sum('rows_in')} in, ${sum('rows_valid')} valid, ${sum('rows_quarantined')} quarantined`,
    ...notIngested.slice(0, SHOWN_FILES).map((f) => `  ${f.status}: ${f.key}${f.error ? ` — ${f.error}` : f.duplicate_of ? ` — same bytes as ${f.duplicate_of}` : ''}`),
    ...(notIngested.length > SHOWN_FILES ? [`  … and ${notIngested.length - SHOWN_FILES} more not ingested: see files[] in ${join(outDir, 'report.json')} (status, error, reasons)`] : []),
    ...report.orchestration.map((o) => `${o.name}: ${o.status}, ${o.states.length} states`),
    `quality: ${report.quality.length} checks, ${report.quality.filter((q) => q.status === 'warn').length} warning(s), ${report.quality.filter((q) => q.status === 'fail').length} failed`,
    ...report.quality
      .filter((q) => q.status !== 'pass')
      .map((q) => `  ${q.status}: ${checkLabel(q)} = ${q.value === null ? 'no value' : `${Number(q.value.toFixed(2))} ${q.unit}`} (${q.threshold})`),
    ...report.gold.map((g) =>
      g.blocked
        ? `gold ${g.dataset}: BLOCKED by ${g.blockedBy.map((id) => labels.get(id) ?? id).join(', ')}${g.through.length ? ` (through ${g.through.join(', ')})` : ''}`
        : `gold ${g.dataset}: ${g.rows} rows`,
    ),
    // A run stopped before its end wrote report.json only.
    report.failure && report.failure.phase !== 'gold-build' ? `output: ${join(outDir, 'report.json')}` : `outputs: ${join(outDir, 'silver')}, ${join(outDir, 'quarantine')}, ${join(outDir, 'gold')}, ${join(outDir, 'report.json')}`,
  ].join('\n');
}

/** Fails before anything starts when the input folder is missing or holds no file. */
function checkInputDir(inputDir: string): void {
  const dir = resolve(inputDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`no input folder at ${dir}; give the folder holding one sub-folder per dataset (<input-dir>/<dataset>/<files>)`);
}

/** Fails before anything starts when the port is taken on 127.0.0.1, saying what to pass instead. */
async function checkPortFree(portNumber: number): Promise<void> {
  if (portNumber === 0) return;
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${portNumber} on 127.0.0.1 is in use; pass --port <n> (--port 0 picks a free one)`) : e),
    );
    probe.listen(portNumber, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0-65535, got '${value}'`);
  return n;
}

/**
 * Serves the HTTP API on a platform until SIGINT/SIGTERM, or until its emulator stops; recorded in the
 * state folder's `platform.json` while it serves.
 * @returns how the emulator ended when it stopped first (then the caller must not save), else undefined
 */
async function serve(platform: LocalPlatform, portNumber: number, folder?: StateFolder): Promise<string | undefined> {
  const api = await startApiServer(platform, { port: portNumber });
  if (folder) register(folder, platform, 'serve', { url: api.url, athena: api.athena.endpoint });
  console.log(
    [
      `HTTP API on ${api.url} (same handlers as in AWS; Athena: local DuckDB at ${api.athena.endpoint}, Gold views over silver)`,
      ...routeList().map((r) => `  ${r}`),
      `bronze: s3://${platform.buckets.bronze} at ${platform.emulator.endpoint} — new objects are processed as they land, e.g.`,
      // Runnable as printed on a machine without AWS credentials: the emulator takes any key; the file and dataset are yours.
      `  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --region ${LOCAL_REGION} --endpoint-url ${platform.emulator.endpoint} s3 cp <file> s3://${platform.buckets.bronze}/${loadContracts()[0]?.name ?? '<dataset>'}/<file-name>`,
      `try: curl -s '${api.url}/v1/datasets/${goldDatasets()[0] ?? '<dataset>'}/rows?limit=5'`,
      folder ? 'Ctrl-C stops (the data is saved for the next start; `local down` stops it from another terminal).' : 'Ctrl-C stops.',
    ].join('\n'),
  );
  let stopHandler: () => void = () => undefined;
  const emulatorEnded = await new Promise<string | undefined>((resolve) => {
    // The first Ctrl-C (or SIGTERM from `local down`) stops gracefully: the data is saved; a second one stops at once.
    stopHandler = onStopSignal(() => resolve(undefined));
    void platform.emulator.exited.then(resolve);
  });
  stopHandler();
  if (emulatorEnded) console.error(`error: the AWS emulator stopped while serving: ${emulatorEnded}; the local platform stops (what changed since its start is not saved)`);
  else console.log('stopping…');
  await api.close();
  return emulatorEnded;
}

const PHASE_LABELS: Record<RunPhase, string> = { upload: 'upload to bronze', transform: 'bronze → silver', export: 'export of silver and quarantine', 'gold-build': 'gold-build' };

/**
 * Runs `work` with one progress bar per phase on stderr (files for upload and transform; states ended,
 * with the last one's name, for the gold-build state machine). Without a terminal (piped, CI), no bars:
 * one plain line per phase when it ends, e.g. `upload to bronze: 91/91 files`.
 */
async function withProgress<T>(work: (onProgress: (phase: RunPhase, done: number, total: number | undefined, detail?: string) => void) => Promise<T>): Promise<T> {
  const unitOf = (phase: RunPhase) => (phase === 'gold-build' ? 'states' : 'files');
  if (!process.stderr.isTTY) {
    // The phases run one after the other: a phase has ended when the next one reports, or when the work ends.
    const latest = new Map<RunPhase, { done: number; total?: number; detail: string }>();
    const printed = new Set<RunPhase>();
    const print = (phase: RunPhase) => {
      const p = latest.get(phase)!;
      printed.add(phase);
      process.stderr.write(`${PHASE_LABELS[phase]}: ${p.done}/${p.total ?? p.done} ${unitOf(phase)}${p.detail ? `, last: ${p.detail}` : ''}\n`);
    };
    try {
      return await work((phase, done, total, detail = '') => {
        for (const other of latest.keys()) if (other !== phase && !printed.has(other)) print(other);
        latest.set(phase, { done, total, detail });
      });
    } finally {
      for (const phase of latest.keys()) if (!printed.has(phase)) print(phase);
    }
  }
  const bars = new MultiBar(
    { format: ' {phase} |{bar}| {value}/{total} {unit} {detail}', hideCursor: true, clearOnComplete: false, stopOnComplete: false, noTTYOutput: false },
    Presets.shades_classic,
  );
  const open = new Map<RunPhase, SingleBar>();
  try {
    return await work((phase, done, total, detail = '') => {
      const unit = unitOf(phase);
      let bar = open.get(phase);
      if (!bar) {
        // The state machine's number of states depends on the data (one per check and date): count up.
        bar = bars.create(total ?? 0, 0, { phase: PHASE_LABELS[phase].padEnd(16), unit, detail });
        open.set(phase, bar);
      }
      if (total === undefined) bar.setTotal(Math.max(done, 1));
      else bar.setTotal(total);
      bar.update(done, { detail });
    });
  } finally {
    bars.stop();
  }
}

/** A platform of the command's own that keeps nothing (the demo; `--endpoint` without a state folder). */
async function throwaway(endpoint: string | undefined): Promise<Lease> {
  const platform = await startLocalPlatform({ endpoint });
  return { platform, release: async () => (await platform.close(), undefined) };
}

async function runCommand(inputDir: string, opts: { out: string; endpoint?: string; asOf?: string; thenServe?: number; state?: StateFolder }): Promise<void> {
  checkInputDir(inputDir);
  if (opts.thenServe !== undefined) await checkPortFree(opts.thenServe);
  const lease = opts.state ? await leasePlatform(opts.state, 'run', opts.endpoint) : await throwaway(opts.endpoint);
  const { platform, attached } = lease;
  if (attached) console.log(`using ${describe(attached)}: it runs the transform, the data stays in it`);
  else if (opts.state) {
    if (platform.restored > 0) console.log(`restored ${platform.restored} objects saved by the previous platform (\`local down --purge\` starts empty)`);
    register(opts.state, platform, 'run');
  }
  let emulatorEnded: string | undefined;
  void platform.emulator.exited.then((how) => (emulatorEnded = how));
  let served: string | undefined;
  try {
    const outDir = resolve(opts.out);
    const report = await withProgress((onProgress) => runBatch(platform, resolve(inputDir), { outDir, asOf: opts.asOf, onProgress, pump: !attached })).catch((e: unknown) => {
      // A failed gold-build still wrote report.json (and the Gold datasets the gate did not block): say what
      // happened, then fail the command.
      if (e instanceof OrchestrationFailed) console.log(summary(e.report, outDir));
      if (e instanceof RunFailed) {
        console.log(summary(e.report, outDir));
        const report = `${join(outDir, 'report.json')} has the ${e.report.files.length} file(s) that reached a final status before`;
        const attachedGone = attached && readState(opts.state!).status !== 'running';
        if (emulatorEnded) throw new Error(`the AWS emulator stopped during ${PHASE_LABELS[e.phase]}: ${emulatorEnded}; ${report}`);
        if (attachedGone) throw new Error(`${describe(attached)} stopped during ${PHASE_LABELS[e.phase]}; ${report}`);
        throw new Error(`${PHASE_LABELS[e.phase]} failed: ${e.message}; ${report}`);
      }
      throw e;
    });
    console.log(summary(report, outDir));
    if (opts.thenServe !== undefined) served = await serve(platform, opts.thenServe);
  } finally {
    const saved = await lease.release({ save: !emulatorEnded && !served });
    if (saved !== undefined) console.log(`data kept for the next command: ${saved} objects in ${shown(opts.state!.dataDir)} (\`local serve\` serves it; \`local down --purge\` removes it)`);
  }
  if (served) process.exitCode = 1;
}

/** The `local` command: the local platform's CLI (`npm run local`, `npx medallion local`). */
export function localCommand(): Command {
  const program = new Command('local')
    .description(
      'Run the medallion platform on this machine with the same handlers, contracts and SQL as in AWS.\n' +
        'Without a command: the demo (`local demo`: generates dirty sample data, runs it, then serves the HTTP API).',
    )

    .option('--endpoint <url>', 'use an AWS emulator already running (LocalStack, moto) instead of starting moto; AWS_ENDPOINT_URL works too')
    .addOption(
      new Option(
        '--engine <engine>',
        'engine of the local Athena: duckdb (embedded, starts at once), trino (Trino 476, the engine of Athena engine v3: checks Gold SQL as Athena runs it; needs Java 24+, downloads about 450 MB once), or compare (both, failing a statement on which they disagree)',
      )
        .choices(ATHENA_ENGINES)
        .default('duckdb')
        .env('MEDALLION_ATHENA_ENGINE'),
    )
    .addOption(new Option('--contracts <dir>', 'folder of the data contracts (source contracts, Gold contracts in gold/)').default('contracts').env('CONTRACTS_DIR'))
    .addOption(new Option('--sql <dir>', 'folder of the Gold SQL (gold/<dataset>.sql)').default('sql').env('SQL_DIR'))
    .addOption(new Option('--config <file>', 'platform config file (stages and settings); default: medallion.config.yaml when present, else the built-in stages').env('MEDALLION_CONFIG'))
    .addOption(new Option('--stage <name>', "stage of the config whose settings name and size the local resources; default: dev, else the config's first").env('MEDALLION_STAGE'))
    .addOption(
      new Option('--state <dir>', 'state folder of the local platform: platform.json while one runs, data/ saved when it stops (restored by the next), platform.log of `up`')
        .default('.medallion')
        .env('MEDALLION_STATE'),
    )
    .hook('preAction', () => {
      // Read by every local Athena, handler and check the command starts (as the deployed functions read theirs).
      const o = program.opts<{ engine: string; contracts: string; sql: string; config?: string; stage?: string }>();
      process.env.MEDALLION_ATHENA_ENGINE = o.engine;
    // The summary and the error say what happened; the handlers' JSON logs (Powertools) only with POWERTOOLS_LOG_LEVEL set.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
      process.env.CONTRACTS_DIR = resolve(o.contracts);
      process.env.SQL_DIR = resolve(o.sql);
      if (o.config) process.env.MEDALLION_CONFIG = resolve(o.config);
      if (o.stage) process.env.MEDALLION_STAGE = o.stage;
    });

  const folder = () => stateFolder(program.opts<{ state: string }>().state);

  program
    .command('run')
    .description('upload every file under <input-dir>/<dataset>/ to bronze, process them all, export results, exit; on the platform `up` started when one runs, else on one of its own that saves its data for the next command')
    .argument('<input-dir>', 'folder with one sub-folder per dataset')
    .option('--out <dir>', 'output folder', './local-out')
    .option('--as-of <date>', 'as-of date of the Gold build (YYYY-MM-DD)', isoDate)
    .action(async (inputDir: string, opts: { out: string; asOf?: string }) => runCommand(inputDir, { ...opts, endpoint: program.opts<{ endpoint?: string }>().endpoint, state: folder() }));

  program
    .command('generate')
    .description('write sample source files of the example datasets (this repository\'s contracts) in the layout `run` reads')
    .argument('<dir>', 'output folder')
    .option('--rows <n>', 'number of prints (other sources scale from it)', positiveInt, 1000)
    .option('--seed <n>', 'random seed; the same seed gives the same files', positiveInt, 42)
    .option('--dirty', 'inject realistic defects', false)
    .action(async (dir: string, opts: { rows: number; seed: number; dirty: boolean }) => {
      checkExampleDatasets(loadContracts().map((c) => c.name), defaultContractsDir());
      const files = await generate(resolve(dir), opts);
      console.log(`wrote ${files.length} files, ${files.reduce((n, f) => n + f.rows, 0)} rows, under ${resolve(dir)}`);
    });

  program
    .command('serve')
    .description('serve the HTTP API on 127.0.0.1 and process every object dropped into bronze, until Ctrl-C; with the data of the previous run, saved again when it stops')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', port, 3000)
    .action(async (opts: { port: number }) => {
      const state = folder();
      const reading = readState(state);
      if (reading.status === 'running' && reading.state.command === 'serve' && !reading.state.starting) {
        checkSameProject(reading.state);
        console.log(`already running: ${describe(reading.state)}\nHTTP API on ${reading.state.api}\n\`local status\` shows it, \`local down\` stops it`);
        return;
      }
      await checkPortFree(opts.port);
      const lease = await leasePlatform(state, 'serve', program.opts<{ endpoint?: string }>().endpoint);
      if (lease.platform.restored > 0) console.log(`restored ${lease.platform.restored} objects saved by the previous platform (\`local down --purge\` starts empty)`);
      let emulatorEnded: string | undefined;
      try {
        emulatorEnded = await serve(lease.platform, opts.port, state);
      } finally {
        const saved = await lease.release({ save: !emulatorEnded });
        if (saved !== undefined) console.log(`saved ${saved} objects in ${shown(state.dataDir)}`);
      }
      if (emulatorEnded) process.exitCode = 1;
    });

  program
    .command('up')
    .description('start the local platform in the background (as `serve`, output in <state>/platform.log) and return once it serves; `run` then uses it')
    .option('--port <n>', 'port of the HTTP API on 127.0.0.1 (0: any free port)', port, 3000)
    .action(async (opts: { port: number }) => {
      const state = folder();
      const running = readState(state);
      if (running.status === 'running' && running.state.command === 'serve' && !running.state.starting) checkSameProject(running.state);
      else await checkPortFree(opts.port);
      const endpoint = program.opts<{ endpoint?: string }>().endpoint;
      // The same program, as `serve`: the project options travel in the environment the preAction hook set.
      const serveArgs = [process.argv[1], ...(program.parent ? [program.name()] : []), ...(endpoint ? ['--endpoint', endpoint] : []), 'serve', '--port', String(opts.port)];
      if (running.status !== 'running') process.stderr.write(`starting the local platform in the background (output: ${shown(state.log)})…\n`);
      const started = await up(state, serveArgs);
      console.log(
        [
          `${running.status === 'running' ? 'already running' : 'up'}: ${describe(started)}`,
          `HTTP API on ${started.api}`,
          `local Athena on ${started.athena}`,
          `AWS emulator (${started.emulator.kind}) on ${started.emulator.endpoint}, bronze s3://${started.buckets.bronze}`,
          '`local run <input-dir>` uses it; `local status` shows it; `local down` stops it and saves its data',
        ].join('\n'),
      );
    });

  program
    .command('status')
    .description('say whether a local platform runs for the state folder: its endpoints, stage and objects per bucket; exit status 0 when one runs, 3 when none')
    .option('--json', 'print it as one JSON object: {running, platform (platform.json), objects (per bucket), saved ({objects, stage, savedAt} or null)}', false)
    .action(async (opts: { json: boolean }) => {
      const state = folder();
      const reading = readState(state);
      const saved = readSavedData(state.dataDir);
      const savedInfo = saved ? { objects: saved.objects.length, stage: saved.stage, savedAt: saved.savedAt } : null;
      if (reading.status === 'stale') {
        if (!opts.json) console.log(`${describe(reading.state)} ended without stopping cleanly (killed or crashed); its record removed (output: ${shown(state.log)})`);
        forgetStale(reading.state, state);
      }
      if (reading.status !== 'running') {
        if (opts.json) console.log(JSON.stringify({ running: false, platform: null, objects: null, saved: savedInfo }));
        else console.log(`no local platform running for ${shown(state.dir)}; ${savedSummary(state)}\nstart one: \`local up\` (in the background) or \`local serve\``);
        process.exitCode = 3;
        return;
      }
      const s = reading.state;
      const counts = s.starting ? null : await bucketCounts(s);
      if (opts.json) {
        console.log(JSON.stringify({ running: true, platform: s, objects: counts, saved: savedInfo }));
        return;
      }
      console.log(
        [
          `running: ${describe(s)}`,
          ...(s.api ? [`HTTP API on ${s.api}`, `local Athena on ${s.athena}`] : []),
          ...(counts ? [`AWS emulator (${s.emulator.kind}) on ${s.emulator.endpoint}`, `objects: ${Object.entries(counts).map(([b, n]) => `${b} ${n}`).join(', ')}`] : ['starting: no endpoints yet']),
          `project: contracts ${shown(s.contracts)}, sql ${shown(s.sql)}, config ${s.config ? shown(s.config) : '(built-in stages)'}`,
        ].join('\n'),
      );
    });

  program
    .command('down')
    .description('stop the local platform of the state folder (it saves its data as it stops) and wait until it has ended')
    .option('--purge', 'also remove the saved data: the next platform starts empty', false)
    .action(async (opts: { purge: boolean }) => {
      for (const line of await down(folder(), opts.purge)) console.log(line);
    });

  program
    .command('demo', { isDefault: true })
    .description('the default command: generate dirty sample data (removed afterwards), run it, then serve the HTTP API until Ctrl-C')
    .option('--port <n>', 'port of the HTTP API on 127.0.0.1 (0: any free port)', port, 3000)
    .option('--out <dir>', 'output folder', './local-out')
    // As the default command it also receives words that are no command (`local serv`): named below, with the closest one.
    .allowExcessArguments(true)
    .action(async (opts: { port: number; out: string }, command: Command) => {
      if (command.args.length > 0) {
        const names = program.commands.map((c) => c.name());
        const near = didYouMean(command.args[0], names);
        program.error(`error: unknown command '${command.args[0]}'${near ? ` (Did you mean ${near}?)` : ''}; commands: ${names.join(', ')}`);
      }
      checkExampleDatasets(loadContracts().map((c) => c.name), defaultContractsDir());
      await checkPortFree(opts.port);
      const input = mkdtempSync(join(tmpdir(), 'medallion-sample-'));
      try {
        await generate(input, { rows: 2000, seed: 42, dirty: true });
        console.log(`sample data: ${input} (removed when the demo stops)`);
        // A throwaway platform: the demo keeps nothing (no state folder).
        await runCommand(input, { out: opts.out, thenServe: opts.port, endpoint: program.opts<{ endpoint?: string }>().endpoint });
      } finally {
        rmSync(input, { recursive: true, force: true });
      }
    });

  return program;
}

/** Fails with a clear message on a Node.js older than the package's `engines` (22). */
export function requireSupportedNode(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    console.error(`error: medallion-platform needs Node.js 22 or newer; this is ${process.version}. Install Node.js 22 or 24 (the Lambda runtime's) and run again.`);
    process.exit(1);
  }
}

if (require.main === module) {
  requireSupportedNode();
  localCommand()
    .parseAsync(process.argv)
    .catch((e: Error) => {
      console.error(`error: ${e.message}`);
      process.exit(1);
    });
}

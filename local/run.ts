import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { loadContracts } from '../lambdas/shared/contracts';
import { OPERATIONS_PREFIX, type RunManifest } from '../lambdas/shared/manifest';
import { glueDatabaseName } from '../lib/naming';
import { mirror } from './s3-mirror';
import { buildGold, type GoldOutput } from './gold';
import { processUntilDone, uploadDirectory } from './ingest';
import { runGoldBuild, startLocalOrchestration } from './orchestration';
import type { StateOutcome } from './state-machine';
import type { LocalPlatform } from './platform';
import type { SqsHandler } from './sqs-pump';

export interface FileReport {
  readonly dataset: string | null;
  readonly key: string;
  readonly status: RunManifest['status'];
  readonly rows_in: number;
  readonly rows_valid: number;
  readonly rows_quarantined: number;
  readonly rows_superseded: number;
  readonly reasons: Readonly<Record<string, number>>;
  readonly error: string | null;
  readonly duplicate_of: string | null;
}

/** One state machine execution: its status and each state's outcome, in order. */
export interface OrchestrationReport {
  readonly name: string;
  readonly execution: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly states: readonly StateOutcome[];
  readonly error?: string;
  readonly cause?: string;
}

export interface QualityReport {
  readonly dataset: string;
  readonly check: string;
  readonly status: 'pass' | 'fail' | 'warn';
  readonly severity: 'error' | 'warning';
  readonly value: number | null;
}

export interface RunReport {
  readonly files: FileReport[];
  readonly gold: { dataset: GoldOutput['dataset']; rows: number; path: string }[];
  readonly orchestration: OrchestrationReport[];
  readonly quality: QualityReport[];
}

/** The gold-build execution failed (a blocking quality check, or an error): Gold was not published. */
export class OrchestrationFailed extends Error {
  constructor(
    message: string,
    readonly report: RunReport,
  ) {
    super(message);
    this.name = 'OrchestrationFailed';
  }
}

/** The transform handler, loaded after the platform has set the environment it reads. */
export async function loadTransformHandler(platform: LocalPlatform): Promise<SqsHandler> {
  Object.assign(process.env, platform.handlerEnv);
  const { handler } = await import('../lambdas/transform/handler');
  return handler as (...args: Parameters<SqsHandler>) => Promise<SQSBatchResponse>;
}

export interface RunOptions {
  readonly outDir: string;
  /** As-of date of the Gold build (YYYY-MM-DD); default: the latest print day. */
  readonly asOf?: string;
  readonly timeoutMs?: number;
  /** Progress of each phase: `upload` and `transform` count files, `gold-build` counts states ended (total unknown). */
  readonly onProgress?: (phase: RunPhase, done: number, total: number | undefined, detail?: string) => void;
}

export type RunPhase = 'upload' | 'transform' | 'gold-build';

/**
 * `npm run local -- run`: uploads every file of `inputDir` to bronze, lets the transform process every
 * notification, runs the synthesized gold-build state machine (quality gate, then the Gold builds published
 * in the emulator), exports silver, quarantine, Gold and report.json to the output folder.
 * @throws OrchestrationFailed after writing report.json when gold-build fails (Gold is then not exported)
 */
export async function runBatch(platform: LocalPlatform, inputDir: string, options: RunOptions): Promise<RunReport> {
  const handler = await loadTransformHandler(platform);
  const progress = options.onProgress ?? (() => undefined);
  const refs = await uploadDirectory(platform, inputDir, (done, total) => progress('upload', done, total));
  const manifests = await processUntilDone(platform, handler, refs, { timeoutMs: options.timeoutMs, onProgress: (done, total) => progress('transform', done, total) });
  mkdirSync(options.outDir, { recursive: true });
  await mirror(platform, platform.buckets.silver, '', join(options.outDir, 'silver'), (key) => key.startsWith(OPERATIONS_PREFIX), true);
  await mirror(platform, platform.buckets.quarantine, '', join(options.outDir, 'quarantine'), () => false, true);
  const orchestration = await startLocalOrchestration(platform);
  let statesEnded = 0;
  const run = await runGoldBuild(orchestration, options.asOf ? { asOf: options.asOf } : {}, {
    onState: (s) => progress('gold-build', ++statesEnded, undefined, `${s.name}${s.status === 'SUCCEEDED' ? '' : ` ${s.status}`}`),
  }).finally(() => orchestration.close());
  const { execution } = run;
  const manifestsDir = mkdtempSync(join(tmpdir(), 'medallion-manifests-'));
  await mirror(platform, platform.buckets.silver, `${OPERATIONS_PREFIX}manifests/`, manifestsDir, () => false, true);
  const failed = execution.status !== 'SUCCEEDED';
  const gold = failed ? [] : await buildGold({
    contracts: loadContracts(),
    silverDir: join(options.outDir, 'silver'),
    manifestsDir: join(manifestsDir, OPERATIONS_PREFIX, 'manifests'),
    databases: { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') },
    asOf: options.asOf,
    outDir: join(options.outDir, 'gold'),
  });
  const report: RunReport = {
    files: manifests
      .map((m) => ({
        dataset: m.dataset,
        key: m.key,
        status: m.status,
        rows_in: m.rows_in,
        rows_valid: m.rows_valid,
        rows_quarantined: m.rows_quarantined,
        rows_superseded: m.rows_superseded,
        reasons: m.reasons,
        error: m.error,
        duplicate_of: m.duplicate_of,
      }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    gold: gold.map((g) => ({ dataset: g.dataset, rows: g.rows, path: `gold/${g.dataset}.csv` })),
    orchestration: [
      {
        name: execution.name,
        execution: execution.execution,
        status: execution.status,
        states: execution.states,
        ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
      },
    ],
    quality: (run.gate?.results ?? []).map((r) => ({ dataset: r.dataset, check: r.check, status: r.status, severity: r.severity, value: r.value })),
  };
  writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (failed) throw new OrchestrationFailed(`gold-build ${execution.execution} failed (${execution.error ?? 'error'}): ${execution.cause ?? ''}`, report);
  return report;
}

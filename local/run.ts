import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { loadContracts } from '../lambdas/shared/contracts';
import { OPERATIONS_PREFIX, type RunManifest } from '../lambdas/shared/manifest';
import { glueDatabaseName } from '../lib/naming';
import { mirror } from './s3-mirror';
import { buildGold } from './gold';
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
  /** The check's id (`events.rowCount`), as in `quality_results` and in `blockedBy`. */
  readonly id: string;
  readonly dataset: string;
  readonly check: string;
  readonly status: 'pass' | 'fail' | 'warn';
  readonly severity: 'error' | 'warning';
  readonly value: number | null;
  /** Unit of the value: rows, percent, hours (freshness) or ratio. */
  readonly unit: string;
  /** The threshold, e.g. `mustBeLessOrEqualTo 48`. */
  readonly threshold: string;
}

/** One requested Gold dataset: built (rows, path of its CSV) or blocked by the quality gate (and why). */
export interface GoldReport {
  readonly dataset: string;
  readonly blocked: boolean;
  /** Ids of the failed blocking checks (see `quality`) of the sources it reads, directly or through other Gold datasets. */
  readonly blockedBy: readonly string[];
  /** The blocked Gold datasets it reads, through which the failure reached it. */
  readonly through: readonly string[];
  /** Rows written; null when blocked. */
  readonly rows: number | null;
  /** `gold/<dataset>.csv` (a Parquet file next to it); null when blocked. */
  readonly path: string | null;
}

export interface RunReport {
  readonly files: FileReport[];
  /** Set when the run stopped before its end (an error, the emulator gone): the phase and what happened; the rest of the report is what was done until then. */
  readonly failure?: { readonly phase: RunPhase; readonly error: string };
  /** Every requested Gold dataset once gold-build got past the gate; empty when it failed before or with an error. */
  readonly gold: GoldReport[];
  readonly orchestration: OrchestrationReport[];
  readonly quality: QualityReport[];
}

/**
 * The gold-build execution failed. Either the quality gate blocked some Gold datasets (`blocked`): those
 * not blocked were built and exported; or an error stopped it (`blocked` empty): no Gold was exported.
 */
export class OrchestrationFailed extends Error {
  constructor(
    message: string,
    readonly report: RunReport,
  ) {
    super(message);
    this.name = 'OrchestrationFailed';
  }
}

/**
 * The run stopped before its end (anything but a gold-build verdict): `report.json` was written with what
 * was done until then, and `phase` names where it stopped.
 */
export class RunFailed extends Error {
  constructor(
    readonly phase: RunPhase,
    readonly report: RunReport,
    readonly cause: Error,
  ) {
    super(cause.message);
    this.name = 'RunFailed';
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
  /** False when a platform started by `local up`/`serve` runs the transform: only wait for its manifests. @default true */
  readonly pump?: boolean;
}

export type RunPhase = 'upload' | 'transform' | 'export' | 'gold-build';

function fileReport(m: RunManifest): FileReport {
  return {
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
  };
}

function writeReport(outDir: string, report: RunReport): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * `npm run local -- run`: uploads every file of `inputDir` to bronze, lets the transform process every
 * notification, runs the synthesized gold-build state machine (quality gate, then the Gold builds published
 * in the emulator), exports silver, quarantine, Gold and report.json to the output folder. A failed blocking
 * check blocks only the Gold datasets reading its source: the others are exported, the blocked ones are
 * reported with the checks that block them.
 * @throws OrchestrationFailed after writing report.json when gold-build fails: when the gate blocked any
 * requested dataset (after exporting the others), or on an error (then no Gold is exported)
 */
export async function runBatch(platform: LocalPlatform, inputDir: string, options: RunOptions): Promise<RunReport> {
  let phase: RunPhase = 'upload';
  const found = new Map<string, RunManifest>();
  try {
    return await runPhases(platform, inputDir, options, found, (p) => (phase = p));
  } catch (e) {
    if (e instanceof OrchestrationFailed) throw e;
    // What was done until it stopped: the files that reached a final status, and where it stopped.
    const report: RunReport = {
      files: [...found.values()].map(fileReport).sort((a, b) => a.key.localeCompare(b.key)),
      failure: { phase, error: (e as Error).message },
      gold: [],
      orchestration: [],
      quality: [],
    };
    writeReport(options.outDir, report);
    throw new RunFailed(phase, report, e as Error);
  }
}

async function runPhases(platform: LocalPlatform, inputDir: string, options: RunOptions, found: Map<string, RunManifest>, enter: (phase: RunPhase) => void): Promise<RunReport> {
  const handler = await loadTransformHandler(platform);
  const progress = options.onProgress ?? (() => undefined);
  const refs = await uploadDirectory(platform, inputDir, (done, total) => progress('upload', done, total));
  enter('transform');
  const manifests = await processUntilDone(platform, handler, refs, { timeoutMs: options.timeoutMs, pump: options.pump, found, onProgress: (done, total) => progress('transform', done, total) });
  enter('export');
  mkdirSync(options.outDir, { recursive: true });
  await mirror(platform, platform.buckets.silver, '', join(options.outDir, 'silver'), (key) => key.startsWith(OPERATIONS_PREFIX), true);
  await mirror(platform, platform.buckets.quarantine, '', join(options.outDir, 'quarantine'), () => false, true);
  enter('gold-build');
  const orchestration = await startLocalOrchestration(platform);
  let statesEnded = 0;
  const run = await runGoldBuild(orchestration, options.asOf ? { asOf: options.asOf } : {}, {
    onState: (s) => progress('gold-build', ++statesEnded, undefined, `${s.name}${s.status === 'SUCCEEDED' ? '' : ` ${s.status}`}`),
  }).finally(() => orchestration.close());
  const { execution } = run;
  // Past the gate (succeeded, or failed by it after building the datasets it did not block): a verdict per dataset.
  const verdicts = execution.status === 'SUCCEEDED' || execution.error === 'QualityGateFailed' ? (run.gate?.datasets ?? []) : [];
  const built = verdicts.filter((v) => !v.blocked).map((v) => v.dataset);
  const manifestsDir = mkdtempSync(join(tmpdir(), 'medallion-manifests-'));
  const outputs = await (async () => {
    if (built.length === 0) return [];
    await mirror(platform, platform.buckets.silver, `${OPERATIONS_PREFIX}manifests/`, manifestsDir, () => false, true);
    return buildGold({
      contracts: loadContracts(),
      silverDir: join(options.outDir, 'silver'),
      manifestsDir: join(manifestsDir, OPERATIONS_PREFIX, 'manifests'),
      databases: { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') },
      asOf: options.asOf,
      datasets: built,
      outDir: join(options.outDir, 'gold'),
    });
  })().finally(() => rmSync(manifestsDir, { recursive: true, force: true }));
  const rows = new Map(outputs.map((g) => [g.dataset as string, g.rows]));
  const report: RunReport = {
    files: manifests.map(fileReport).sort((a, b) => a.key.localeCompare(b.key)),
    gold: verdicts.map((v) => ({
      dataset: v.dataset,
      blocked: v.blocked,
      blockedBy: v.blockedBy,
      through: v.through,
      rows: v.blocked ? null : rows.get(v.dataset)!,
      path: v.blocked ? null : `gold/${v.dataset}.csv`,
    })),
    orchestration: [
      {
        name: execution.name,
        execution: execution.execution,
        status: execution.status,
        states: execution.states,
        ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
      },
    ],
    quality: (run.gate?.results ?? []).map((r) => ({ id: r.id, dataset: r.dataset, check: r.check, status: r.status, severity: r.severity, value: r.value, unit: r.unit, threshold: r.threshold })),
  };
  writeReport(options.outDir, report);
  if (execution.status !== 'SUCCEEDED') throw new OrchestrationFailed(`gold-build ${execution.execution} failed (${execution.error ?? 'error'}): ${execution.cause ?? ''}`, report);
  return report;
}

import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { s3Client } from '../shared/aws-clients';
import { METRICS_NAMESPACE } from '../shared/metrics';
import type { GoldBuildEvent } from '../gold-build/handler';
import {
  datasetVerdicts,
  evaluateCheck,
  gateOutcome,
  qualityResultsKey,
  runRecordKey,
  type CheckResult,
  type DatasetVerdict,
  type GoldLineage,
  type QualityCheck,
  type QualityResultRecord,
  type RunRecord,
} from '../shared/quality';

const logger = new Logger({ serviceName: 'medallion-orchestration' });
const metrics = new Metrics({ namespace: process.env.METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: 'quality' });

/**
 * CloudWatch metrics of a gate (what the platform's alarms watch): `quality_gate_blocked` (0 or 1) per
 * evaluation, and `quality_checks_failed` per dataset and check kind for every check that did not pass.
 */
export function publishGateMetrics(results: readonly CheckResult[], blocked: boolean): void {
  metrics.addMetric('quality_gate_blocked', MetricUnit.Count, blocked ? 1 : 0);
  const failed = new Map<string, { dataset: string; kind: string; count: number }>();
  for (const r of results.filter((x) => x.status !== 'pass')) {
    const key = `${r.dataset}\u0000${r.kind}`;
    failed.set(key, { dataset: r.dataset, kind: r.kind, count: (failed.get(key)?.count ?? 0) + 1 });
  }
  for (const { dataset, kind, count } of failed.values()) {
    const single = metrics.singleMetric();
    single.addDimensions({ dataset, check: kind });
    single.addMetric('quality_checks_failed', MetricUnit.Count, count);
  }
  metrics.publishStoredMetrics();
}

function bucket(): string {
  const value = process.env.OPERATIONS_BUCKET;
  if (!value) throw new Error('environment variable OPERATIONS_BUCKET is not set');
  return value;
}

/** What the check Map returns per check: the check id and the first cell of the query's result. */
export interface CheckCell {
  readonly id: string;
  readonly result: { readonly cell?: { readonly VarCharValue?: string } };
}

export interface ResultsEvent {
  readonly action: 'results';
  readonly execution: string;
  readonly asOf?: string | null;
  readonly checks: readonly QualityCheck[];
  readonly cells: readonly CheckCell[];
  /** The requested Gold datasets, in build order (the plan's `datasets`). */
  readonly datasets: readonly string[];
  /** What each Gold dataset reads (the plan's `lineage`). */
  readonly lineage: readonly GoldLineage[];
  /** The planned builds, one per as-of date (the plan's `builds`). */
  readonly builds: readonly GoldBuildEvent[];
}

export interface GateResult {
  /** No blocking check failed: every requested dataset is built. */
  readonly passed: boolean;
  /** At least one requested dataset is not blocked: the builds run (of those datasets only). */
  readonly buildable: boolean;
  readonly message: string;
  readonly failed: number;
  readonly warned: number;
  readonly results: readonly Pick<CheckResult, 'id' | 'dataset' | 'check' | 'status' | 'value' | 'unit' | 'threshold' | 'severity'>[];
  /** The verdict of each requested Gold dataset, in build order. */
  readonly datasets: readonly DatasetVerdict[];
  /** The planned builds, restricted to the datasets not blocked (the planned ones as they are when none is). */
  readonly builds: readonly GoldBuildEvent[];
}

export interface RunEvent {
  readonly action: 'run';
  readonly status: RunRecord['status'];
  readonly execution: string;
  readonly startedAt: string;
  /** The state of the execution when it ended (request, plan, gate, builds, error: whatever exists). */
  readonly state: {
    readonly plan?: { readonly request?: unknown };
    readonly gate?: GateResult;
    /** The Gold build function's output, one per as-of date. */
    readonly builds?: readonly { readonly builds?: readonly { dataset: string; asOf: string; location: string }[] }[];
    readonly error?: { readonly Error?: string; readonly Cause?: string };
  };
}

async function put(key: string, body: string): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body, ContentType: 'application/json' }));
}

/**
 * Evaluates every check against its result, decides which requested Gold datasets it blocks (those reading
 * the source of a failed blocking check, directly or through other Gold datasets), persists one line per
 * check, and returns the gate with the builds of the datasets not blocked.
 */
async function results(event: ResultsEvent): Promise<GateResult> {
  const cells = new Map(event.cells.map((c) => [c.id, c.result.cell?.VarCharValue]));
  const missing = event.checks.filter((c) => !cells.has(c.id)).map((c) => c.id);
  if (missing.length) throw new Error(`no query result for check(s) ${missing.join(', ')}`);
  const evaluated = event.checks.map((c) => evaluateCheck(c, cells.get(c.id)));
  const verdicts = datasetVerdicts(event.datasets, event.lineage, evaluated);
  const blocks = (id: string) => verdicts.filter((v) => v.blockedBy.includes(id)).map((v) => v.dataset);
  const checkedAt = new Date().toISOString();
  const lines = evaluated.map(
    (r): QualityResultRecord => ({
      execution: event.execution, checked_at: checkedAt, as_of: event.asOf ?? null, id: r.id, dataset: r.dataset, check: r.check, kind: r.kind,
      severity: r.severity, status: r.status, value: r.value, unit: r.unit, threshold: r.threshold, blocks: blocks(r.id),
    }),
  );
  await put(qualityResultsKey(event.execution), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const gate = gateOutcome(evaluated, verdicts);
  publishGateMetrics(evaluated, !gate.passed);
  (gate.passed ? logger.info.bind(logger) : logger.error.bind(logger))(gate.message, { execution: event.execution, blocked: gate.blocked.map((b) => b.dataset) });
  return {
    passed: gate.passed,
    buildable: gate.built.length > 0,
    message: gate.message,
    failed: gate.failed.length,
    warned: gate.warnings.length,
    results: evaluated.map((r) => ({ id: r.id, dataset: r.dataset, check: r.check, status: r.status, value: r.value, unit: r.unit, threshold: r.threshold, severity: r.severity })),
    datasets: verdicts,
    builds: gate.blocked.length === 0 ? event.builds : gate.built.length === 0 ? [] : event.builds.map((b) => ({ ...b, datasets: gate.built })),
  };
}

/** Writes the run record of an execution. */
async function run(event: RunEvent): Promise<RunRecord> {
  const { state } = event;
  const builds = (state.builds ?? []).flatMap((b) => b.builds ?? []).map((b) => ({ dataset: b.dataset, as_of: b.asOf, location: b.location }));
  const record: RunRecord = {
    execution: event.execution,
    status: event.status,
    started_at: event.startedAt,
    finished_at: new Date().toISOString(),
    request: JSON.stringify(state.plan?.request ?? null),
    checks: state.gate?.results.length ?? 0,
    checks_failed: state.gate?.failed ?? 0,
    checks_warned: state.gate?.warned ?? 0,
    builds,
    blocked: (state.gate?.datasets ?? []).filter((d) => d.blocked).map((d) => ({ dataset: d.dataset, blocked_by: d.blockedBy, through: d.through })),
    message: event.status === 'FAILED' ? `gold-build failed: ${state.error?.Error ?? 'unknown error'}` : (state.gate?.message ?? ''),
    error: state.error ? `${state.error.Error ?? ''}: ${state.error.Cause ?? ''}` : null,
  };
  await put(runRecordKey(event.execution), `${JSON.stringify(record)}\n`);
  return record;
}

/** The gold-build state machine's recording steps: `results` (evaluate and persist the checks) and `run` (the run record). */
export async function handler(event: ResultsEvent | RunEvent): Promise<GateResult | RunRecord> {
  if (event.action === 'results') return results(event);
  if (event.action === 'run') return run(event);
  throw new Error(`unknown action '${(event as { action?: string }).action}'; expected results or run`);
}

import type { QualityThreshold } from '../contracts';
import type { QualityCheck } from './checks';
import type { GoldLineage } from './sources';

/** `pass`; `fail` (an error check failed: Gold is blocked); `warn` (a warning check failed: recorded only). */
export type CheckStatus = 'pass' | 'fail' | 'warn';

/** The outcome of one check, as persisted to `quality_results` and reported by the local run. */
export interface CheckResult {
  readonly id: string;
  readonly dataset: string;
  readonly check: string;
  readonly kind: QualityCheck['kind'];
  readonly severity: QualityCheck['severity'];
  readonly status: CheckStatus;
  /** The measured value in `unit`; null when the query returned no value (e.g. freshness of an empty table). */
  readonly value: number | null;
  readonly unit: QualityCheck['unit'];
  /** The threshold as text, e.g. `mustBeLessOrEqualTo 5`. */
  readonly threshold: string;
}

export function describeThreshold(t: QualityThreshold): string {
  return `${t.operator} ${Array.isArray(t.value) ? `[${t.value.join(', ')}]` : String(t.value)}`;
}

export function meetsThreshold(value: number, t: QualityThreshold): boolean {
  const [low, high] = Array.isArray(t.value) ? (t.value as [number, number]) : [t.value as number, t.value as number];
  switch (t.operator) {
    case 'mustBe':
      return value === low;
    case 'mustNotBe':
      return value !== low;
    case 'mustBeGreaterThan':
      return value > low;
    case 'mustBeGreaterOrEqualTo':
      return value >= low;
    case 'mustBeLessThan':
      return value < low;
    case 'mustBeLessOrEqualTo':
      return value <= low;
    case 'mustBeBetween':
      return value >= low && value <= high;
    case 'mustNotBeBetween':
      return value < low || value > high;
  }
}

/** Athena's text of a timestamp (`2024-03-01 10:15:30.120`, DuckDB prints fewer decimals) or a date, as epoch ms. */
function instant(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : `${text.replace(' ', 'T').replace(/(Z|[+-]\d{2}:?\d{2})?$/, '')}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`cannot read '${text}' as a date or timestamp`);
  return ms;
}

/**
 * Evaluates a check against the single cell its query returned (Athena's `VarCharValue`, undefined for
 * NULL). A missing value fails the check: an empty table has no freshness and no volume to trust.
 */
export function evaluateCheck(check: QualityCheck, cell: string | undefined): CheckResult {
  let value: number | null = null;
  if (cell !== undefined && cell !== '') {
    if (check.kind === 'freshness') {
      value = Math.round(((Date.parse(check.referenceTime!) - instant(cell)) / 3_600_000) * 100) / 100;
    } else {
      value = Number(cell);
      if (Number.isNaN(value)) throw new Error(`check ${check.id}: the query returned '${cell}', not a number`);
    }
  }
  const ok = value !== null && meetsThreshold(value, check.threshold);
  return {
    id: check.id,
    dataset: check.dataset,
    check: check.check,
    kind: check.kind,
    severity: check.severity,
    status: ok ? 'pass' : check.severity === 'error' ? 'fail' : 'warn',
    value,
    unit: check.unit,
    threshold: describeThreshold(check.threshold),
  };
}

/** Whether a Gold dataset may be built after the checks of the sources it reads, and why not. */
export interface DatasetVerdict {
  readonly dataset: string;
  readonly blocked: boolean;
  /**
   * Ids of the failed blocking checks (`events.rowCount`) of the sources it reads, directly or through the
   * Gold datasets it reads, in check order; empty when it is not blocked.
   */
  readonly blockedBy: readonly string[];
  /** The Gold datasets it reads that are blocked themselves (what carried the failure to it), sorted. */
  readonly through: readonly string[];
}

/**
 * The verdict of each of `datasets` (in their order): a failed blocking check blocks exactly the Gold
 * datasets that read its source, directly or through other Gold datasets (`lineage` gives what each Gold
 * dataset reads directly, and must cover every Gold dataset reached from `datasets`). Warnings block nothing.
 */
export function datasetVerdicts(datasets: readonly string[], lineage: readonly GoldLineage[], results: readonly CheckResult[]): DatasetVerdict[] {
  const failed = results.filter((r) => r.status === 'fail');
  const byDataset = new Map(lineage.map((l) => [l.dataset, l]));
  const verdicts = new Map<string, DatasetVerdict>();
  const verdict = (dataset: string, path: readonly string[]): DatasetVerdict => {
    const known = verdicts.get(dataset);
    if (known) return known;
    if (path.includes(dataset)) throw new Error(`Gold datasets read each other in a cycle: ${[...path, dataset].join(' → ')}`);
    const l = byDataset.get(dataset);
    if (!l) throw new Error(`no lineage for Gold dataset '${dataset}'`);
    const upstream = l.reads.map((g) => verdict(g, [...path, dataset]));
    const ids = new Set([...failed.filter((r) => l.sources.includes(r.dataset)).map((r) => r.id), ...upstream.flatMap((u) => u.blockedBy)]);
    const blockedBy = failed.map((r) => r.id).filter((id) => ids.has(id));
    const v: DatasetVerdict = { dataset, blocked: blockedBy.length > 0, blockedBy, through: upstream.filter((u) => u.blocked).map((u) => u.dataset) };
    verdicts.set(dataset, v);
    return v;
  };
  return datasets.map((d) => verdict(d, []));
}

export interface GateOutcome {
  /** False when at least one error check failed: the Gold datasets that read its source must not be built. */
  readonly passed: boolean;
  readonly failed: readonly CheckResult[];
  readonly warnings: readonly CheckResult[];
  /** The requested Gold datasets a failed check blocks, with the checks that block them. */
  readonly blocked: readonly DatasetVerdict[];
  /** The requested Gold datasets no failed check blocks: those built. */
  readonly built: readonly string[];
  /**
   * One line for alerts, logs and the execution's failure cause: the blocked datasets with the checks that
   * block them, the datasets published anyway, and each failed check with its value.
   */
  readonly message: string;
}

/** A check as people read it: `events rowCount`, `events duplicate event_id` (names not starting with the dataset get it). */
export function checkLabel(r: Pick<CheckResult, 'dataset' | 'check'>): string {
  return r.check === r.dataset || r.check.startsWith(`${r.dataset} `) || r.check.startsWith(`${r.dataset}.`) ? r.check : `${r.dataset} ${r.check}`;
}

const line = (r: CheckResult) => `${checkLabel(r)} = ${r.value === null ? 'no value' : `${Number(r.value.toFixed(2))} ${r.unit}`} (${r.threshold})`;

/**
 * The gate's outcome over the check results and the verdicts of the requested Gold datasets (see
 * `datasetVerdicts`; without them, the message names the failed checks only).
 */
export function gateOutcome(results: readonly CheckResult[], datasets: readonly DatasetVerdict[] = []): GateOutcome {
  const failed = results.filter((r) => r.status === 'fail');
  const warnings = results.filter((r) => r.status === 'warn');
  const blocked = datasets.filter((d) => d.blocked);
  const built = datasets.filter((d) => !d.blocked).map((d) => d.dataset);
  const labels = new Map(results.map((r) => [r.id, checkLabel(r)]));
  const reason = (d: DatasetVerdict) => `${d.dataset} (${d.blockedBy.map((id) => labels.get(id) ?? id).join(', ')}${d.through.length ? `; through ${d.through.join(', ')}` : ''})`;
  const message = failed.length
    ? [
        blocked.length ? `quality gate failed, Gold not published for ${blocked.map(reason).join(', ')}` : 'quality gate failed',
        ...(blocked.length && built.length ? [`published: ${built.join(', ')}`] : []),
        `failed checks: ${failed.map(line).join('; ')}`,
      ].join('; ')
    : `quality gate passed: ${results.length} checks, ${warnings.length} warning(s)${warnings.length ? `: ${warnings.map(line).join('; ')}` : ''}`;
  return { passed: failed.length === 0, failed, warnings, blocked, built, message };
}

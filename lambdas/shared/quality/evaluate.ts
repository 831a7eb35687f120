import type { QualityThreshold } from '../contracts';
import type { QualityCheck } from './checks';

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

export interface GateOutcome {
  /** False when at least one error check failed: Gold must not be built. */
  readonly passed: boolean;
  readonly failed: readonly CheckResult[];
  readonly warnings: readonly CheckResult[];
  /** One line for alerts and the execution's failure cause, naming each failed check with its value. */
  readonly message: string;
}

const line = (r: CheckResult) => `${r.dataset} ${r.check} = ${r.value === null ? 'no value' : `${Number(r.value.toFixed(2))} ${r.unit}`} (${r.threshold})`;

export function gateOutcome(results: readonly CheckResult[]): GateOutcome {
  const failed = results.filter((r) => r.status === 'fail');
  const warnings = results.filter((r) => r.status === 'warn');
  const message = failed.length
    ? `quality gate failed, Gold not published: ${failed.map(line).join('; ')}`
    : `quality gate passed: ${results.length} checks, ${warnings.length} warning(s)${warnings.length ? `: ${warnings.map(line).join('; ')}` : ''}`;
  return { passed: failed.length === 0, failed, warnings, message };
}

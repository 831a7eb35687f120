import type { DatasetContract, QualityRule, QualityThreshold } from '../contracts';
import { PARTITION_COLUMN } from '../contracts';

/** What a check measures. */
export const CHECK_KINDS = ['freshness', 'volume', 'rowCount', 'duplicates', 'nulls', 'missing', 'quarantine'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** One quality check: an Athena query returning one value, and the threshold that value must meet. */
export interface QualityCheck {
  /** Stable id, unique in a plan: `<dataset>.<kind>[.<column>]`. */
  readonly id: string;
  readonly dataset: string;
  /** Human name, as reported (`duplicate event_id`, `events rowCount`). */
  readonly check: string;
  readonly kind: CheckKind;
  /** `error` blocks the Gold build when the check fails; `warning` is recorded only. */
  readonly severity: 'error' | 'warning';
  /**
   * Portable SQL (Athena engine v3 and DuckDB) returning one row with one column. Freshness returns the
   * newest event time as text; every other check returns the value compared with the threshold.
   */
  readonly sql: string;
  readonly threshold: QualityThreshold;
  /** Unit of the value: rows, percent, hours (freshness) or ratio (volume against the trailing average). */
  readonly unit: 'rows' | 'percent' | 'hours' | 'ratio';
  /** For freshness: the instant the age of the newest event is measured at (ISO-8601). */
  readonly referenceTime?: string;
  readonly description: string;
}

export interface PlanSettings {
  /** Glue database names of the stage (silver tables, ops manifests). */
  readonly databases: { readonly silver: string; readonly ops: string };
  /**
   * The as-of date of the run (YYYY-MM-DD). The checks of the `asOfDatasets` look only at their
   * partitions up to that day (a build, or a backfill, as of a date is judged on the data it reads), and
   * their freshness is measured at the end of it. Without one, every check sees all partitions and
   * freshness is measured at `runTime`.
   */
  readonly asOf?: string;
  /** The datasets the as-of date applies to (see `asOfSources`). @default every dataset */
  readonly asOfDatasets?: readonly string[];
  /** When the run started (ISO-8601): the reference for freshness and the quarantine window. */
  readonly runTime: string;
  /** Quarantined rows, in percent of rows received in the last day, above which Gold is blocked. @default 25 */
  readonly maxQuarantinePercent?: number;
  /** Newest partition's rows against the average of the previous days, below which a warning is raised. @default 0.5 */
  readonly minVolumeRatio?: number;
  /** Days of history the volume is compared with. @default 7 */
  readonly volumeHistoryDays?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
/** Identifiers are contract names (lower-case, validated), safe to quote for both engines. */
const ident = (name: string): string => `"${name}"`;

function hours(d: { value: number; unit: 'h' | 'd' | 'y' }): number {
  return d.unit === 'h' ? d.value : d.unit === 'd' ? d.value * 24 : d.value * 24 * 365;
}

/**
 * Turns data contracts into quality checks. Every check reads the dataset's newest silver partition, up to
 * the as-of date when it applies to the dataset (sources deliver on their own calendars, so "today"
 * differs between them), except freshness (the newest event, up to the same date, against the reference
 * time) and the quarantine ratio (files processed in the day before the run, from the run manifests). A
 * source with no partition up to the as-of date has zero rows there, which its `rowCount` rule judges.
 *
 * Per dataset: freshness when the contract has a freshness SLA (warning: stale data still gives a correct
 * Gold as of its data); row volume against the trailing average (warning); duplicate primary keys
 * (the contract's `duplicateValues` rule, else a warning above 5 %); the quarantine ratio (error); and every
 * declared `rowCount`, `nullValues`, `missingValues` and `duplicateValues` rule with its own threshold and
 * severity. Pure: no I/O.
 */
export function planChecks(contracts: readonly DatasetContract[], settings: PlanSettings): QualityCheck[] {
  if (settings.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(settings.asOf)) throw new Error(`asOf must be YYYY-MM-DD, got '${settings.asOf}'`);
  const runTime = Date.parse(settings.runTime);
  if (Number.isNaN(runTime)) throw new Error(`runTime must be an ISO-8601 instant, got '${settings.runTime}'`);
  // `|| ''` keeps the value text on both engines (DuckDB types Hive partition values; 1.5.5 also fails
  // with an internal error on max() of a Hive partition column when the table is a single Parquet file).
  const partition = `(${PARTITION_COLUMN} || '')`;
  const checks: QualityCheck[] = [];
  for (const contract of contracts) {
    const asOf = settings.asOf !== undefined && (settings.asOfDatasets ?? [contract.name]).includes(contract.name) ? settings.asOf : undefined;
    const reference = asOf ? new Date(Date.parse(`${asOf}T00:00:00Z`) + DAY_MS) : new Date(runTime);
    const silver = `${settings.databases.silver}.${contract.name}`;
    // The table as the checks see it: the rows up to the as-of date, when it applies.
    const table = asOf ? `(SELECT * FROM ${silver} WHERE ${partition} <= ${quote(asOf)})` : silver;
    const newest = `(SELECT max(${partition}) FROM ${table} v)`;
    const latest = `FROM ${table} t WHERE ${partition} = ${newest}`;
    const add = (check: Omit<QualityCheck, 'dataset'>) => checks.push({ dataset: contract.name, ...check });

    if (contract.sla.freshness) {
      const max = hours(contract.sla.freshness);
      add({
        id: `${contract.name}.freshness`,
        check: `${contract.name} freshness`,
        kind: 'freshness',
        severity: 'warning',
        sql: `SELECT to_iso8601(max(${ident(contract.eventTimeColumn)})) AS value FROM ${table} t`,
        threshold: { operator: 'mustBeLessOrEqualTo', value: max },
        unit: 'hours',
        referenceTime: reference.toISOString(),
        description: `hours from the newest ${contract.eventTimeColumn} to ${reference.toISOString()}; the SLA allows ${max}`,
      });
    }

    const historyDays = settings.volumeHistoryDays ?? 7;
    add({
      id: `${contract.name}.volume`,
      check: `${contract.name} volume`,
      kind: 'volume',
      severity: 'warning',
      // No history yet counts as a normal volume (ratio 1).
      sql: [
        `WITH days AS (SELECT ${PARTITION_COLUMN} AS d, CAST(count(*) AS DOUBLE) AS n FROM ${table} t GROUP BY ${PARTITION_COLUMN}),`,
        `ranked AS (SELECT n, row_number() OVER (ORDER BY d DESC) AS r FROM days)`,
        `SELECT coalesce(max(CASE WHEN r = 1 THEN n END) / nullif(avg(CASE WHEN r > 1 THEN n END), 0), 1.0) AS value FROM ranked WHERE r <= ${historyDays + 1}`,
      ].join('\n'),
      threshold: { operator: 'mustBeGreaterOrEqualTo', value: settings.minVolumeRatio ?? 0.5 },
      unit: 'ratio',
      description: `rows of the newest partition divided by the average of the ${historyDays} partitions before it`,
    });

    const rules = contract.quality;
    const declaresKeyDuplicates = rules.some((r) => r.metric === 'duplicateValues' && r.column === undefined);
    if (contract.primaryKey.length > 0 && !declaresKeyDuplicates) {
      add(duplicates(contract, latest, contract.primaryKey, { operator: 'mustBeLessOrEqualTo', value: 5 }, 'percent', 'warning', 'the platform default for a primary key'));
    }
    for (const rule of rules) add(fromRule(contract, latest, rule));

    const since = new Date(runTime - DAY_MS).toISOString();
    add({
      id: `${contract.name}.quarantine`,
      check: `${contract.name} quarantine ratio`,
      kind: 'quarantine',
      severity: 'error',
      // DOUBLE arithmetic, as the other percentages: with `100.0 *` Trino (Athena) computes a decimal(23,1)
      // and rounds 25.03 to 25.0, so the blocking gate would decide differently in AWS than locally.
      sql: `SELECT coalesce(100 * CAST(sum(rows_quarantined) AS DOUBLE) / nullif(CAST(sum(rows_in) AS DOUBLE), 0), 0.0) AS value FROM ${settings.databases.ops}.manifests WHERE dataset = ${quote(contract.name)} AND status <> 'superseded' AND processed_at >= ${quote(since)}`,
      threshold: { operator: 'mustBeLessOrEqualTo', value: settings.maxQuarantinePercent ?? 25 },
      unit: 'percent',
      description: `quarantined rows in percent of the rows of ${contract.name} files processed since ${since} (versions a newer one replaced are left out)`,
    });
  }
  return checks;
}

function duplicates(
  contract: DatasetContract,
  latest: string,
  columns: readonly string[],
  threshold: QualityThreshold,
  unit: 'rows' | 'percent',
  severity: 'error' | 'warning',
  why: string,
): Omit<QualityCheck, 'dataset'> {
  const keys = columns.map(ident).join(', ');
  const duplicated = 'sum(n - 1)';
  const value = unit === 'percent' ? `coalesce(100 * CAST(${duplicated} AS DOUBLE) / nullif(CAST(sum(n) AS DOUBLE), 0), 0.0)` : `coalesce(CAST(${duplicated} AS BIGINT), 0)`;
  return {
    id: `${contract.name}.duplicates.${columns.join('+')}`,
    check: `duplicate ${columns.join(', ')}`,
    kind: 'duplicates',
    severity,
    sql: `SELECT ${value} AS value FROM (SELECT CAST(count(*) AS BIGINT) AS n ${latest} GROUP BY ${keys}) g`,
    threshold,
    unit,
    description: `rows of the newest partition repeating a ${columns.join(', ')} already seen in it (${unit}; ${why})`,
  };
}

function fromRule(contract: DatasetContract, latest: string, rule: QualityRule): Omit<QualityCheck, 'dataset'> {
  const common = { severity: rule.severity, threshold: rule.threshold, unit: rule.unit, description: rule.description ?? rule.name };
  const ratio = (condition: string) =>
    rule.unit === 'percent'
      ? `SELECT coalesce(100 * CAST(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END) AS DOUBLE) / nullif(CAST(count(*) AS DOUBLE), 0), 0.0) AS value ${latest}`
      : `SELECT coalesce(CAST(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END) AS BIGINT), 0) AS value ${latest}`;
  switch (rule.metric) {
    case 'rowCount':
      return { id: `${contract.name}.rowCount`, check: rule.name, kind: 'rowCount', ...common, sql: `SELECT CAST(count(*) AS BIGINT) AS value ${latest}` };
    case 'duplicateValues': {
      const columns = rule.column ? [rule.column] : contract.primaryKey;
      if (columns.length === 0) {
        throw new Error(`${contract.file}: rule '${rule.name}' counts duplicate values of the dataset, but ${contract.name} has no primary key; declare primaryKey on a property or move the rule under a property`);
      }
      return { ...duplicates(contract, latest, columns, rule.threshold, rule.unit, rule.severity, `declared in ${contract.file}`), check: rule.column ? rule.name : `duplicate ${columns.join(', ')}`, description: rule.description ?? rule.name };
    }
    case 'nullValues':
      return { id: `${contract.name}.nulls.${rule.column}`, check: rule.name, kind: 'nulls', ...common, sql: ratio(`${ident(rule.column!)} IS NULL`) };
    case 'missingValues': {
      const property = contract.properties.find((p) => p.name === rule.column);
      const blank = property?.type.logicalType === 'string' ? ` OR ${ident(rule.column!)} = ''` : '';
      return { id: `${contract.name}.missing.${rule.column}`, check: rule.name, kind: 'missing', ...common, sql: ratio(`${ident(rule.column!)} IS NULL${blank}`) };
    }
    case 'invalidValues':
      // Enforced per row by the transform (the contract parser only accepts mustBe: 0), never reaches a plan.
      throw new Error(`${contract.file}: invalidValues is enforced per row by the transform, not by the quality gate`);
  }
}

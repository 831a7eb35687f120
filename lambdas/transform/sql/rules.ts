/**
 * The rules of a value: its conversion to the contract type and the rule table from which both the
 * boolean clean check and the reasons are derived (pure SQL builders, no I/O).
 */
import type { ContractProperty } from '../../shared/contracts';
import { rawColumn, sqlString } from './text';

const INTEGER_TEXT = String.raw`^\s*[-+]?[0-9]+\s*$`;
const DATE_TEXT = String.raw`^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$`;
/** Date and time of an ISO-8601 timestamp, before its zone. */
const TIMESTAMP_LOCAL = String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?`;
/**
 * A timestamp must say its zone: `Z` or an offset within ±18:00 (ISO-8601's and java.time's range). A
 * zone-less timestamp is refused, not taken as UTC: the same text means different instants to different
 * producers (see docs/architecture.md, "Timestamps").
 */
const TIMESTAMP_TEXT = String.raw`^\s*${TIMESTAMP_LOCAL}\s*(Z|[+-](0[0-9]|1[0-7])(:?[0-5][0-9])?|[+-]18(:?00)?)\s*$`;
const ZONELESS_TIMESTAMP_TEXT = String.raw`^\s*${TIMESTAMP_LOCAL}\s*$`;
const OFFSET_TIMESTAMP_TEXT = String.raw`^\s*${TIMESTAMP_LOCAL}\s*[+-][0-9]{2}(:?[0-9]{2})?\s*$`;

/**
 * A missing value: NULL, empty or only spaces (as DuckDB's `trim`). Most values do not start with a space,
 * so `trim` (which copies the string) only runs for those that do.
 */
export function blankExpression(p: ContractProperty): string {
  const r = rawColumn(p);
  return `(${r} IS NULL OR CASE WHEN starts_with(${r}, ' ') THEN trim(${r}) = '' ELSE ${r} = '' END)`;
}

/**
 * Converted value of a property, NULL when the raw text does not convert. Timestamps come out in UTC.
 * The patterns allow surrounding whitespace, which DuckDB's casts skip.
 */
export function typedExpression(p: ContractProperty): string {
  const r = rawColumn(p);
  const t = p.type;
  switch (t.logicalType) {
    case 'integer':
      return `CASE WHEN regexp_full_match(${r}, ${sqlString(INTEGER_TEXT)}) THEN TRY_CAST(${r} AS ${t.duckdbType}) END`;
    case 'number':
      if (t.scale !== undefined) {
        const decimalText = String.raw`^\s*[-+]?([0-9]+(\.[0-9]{0,${t.scale}})?|\.[0-9]{1,${t.scale}})\s*$`;
        return `CASE WHEN regexp_full_match(${r}, ${sqlString(decimalText)}) THEN TRY_CAST(${r} AS ${t.duckdbType}) END`;
      }
      return `TRY_CAST(${r} AS ${t.duckdbType})`;
    case 'boolean':
      return `CASE lower(trim(${r})) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    case 'date':
      return `CASE WHEN regexp_full_match(${r}, ${sqlString(DATE_TEXT)}) THEN TRY_CAST(${r} AS DATE) END`;
    case 'timestamp':
      // Values with an offset are converted to UTC; values without one are taken as UTC (session time zone).
      return `CASE WHEN regexp_full_match(${r}, ${sqlString(TIMESTAMP_TEXT)}) THEN TRY_CAST(TRY_CAST(${r} AS TIMESTAMPTZ) AS TIMESTAMP) END`;
    case 'object':
      return `CASE WHEN json_valid(${r}) AND json_type(${r}::JSON) = 'OBJECT' THEN ${r} END`;
    case 'string':
      return r;
  }
}

/**
 * The single pass's cheaper conversion of a property, and the condition under which it is exact. Integers
 * and dates skip the pattern and take DuckDB's cast directly, with a condition that implies the pattern:
 * an integer's raw text must be its canonical text (what DuckDB prints for it), a date's must be exactly
 * `NNNN-NN-NN` (a GLOB, cheaper than the regular expression). Either way the cast of the text is the
 * value `typedExpression` gives, so a row that meets the condition converts exactly as on the full path.
 * Valid text outside it (` 7`, `+7`, `007`, a date with spaces around) fails the condition, and the file
 * then takes the full path, which decides. Other types keep `typedExpression`.
 */
export function fastTypedExpression(p: ContractProperty): { typed: string; canonical?: (typed: string) => string } {
  const r = rawColumn(p);
  switch (p.type.logicalType) {
    case 'integer':
      return { typed: `TRY_CAST(${r} AS ${p.type.duckdbType})`, canonical: (t) => `CAST(${t} AS VARCHAR) = ${r}` };
    case 'date':
      return { typed: `TRY_CAST(${r} AS DATE)`, canonical: () => `${r} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'` };
    default:
      return { typed: typedExpression(p) };
  }
}

const TYPE_REASONS: Record<string, (p: ContractProperty) => string> = {
  integer: () => 'not an integer',
  number: (p) => (p.type.scale !== undefined ? `not a decimal with at most ${p.type.scale} decimal places` : 'not a number'),
  boolean: () => 'not a boolean (true or false)',
  date: () => 'not a date (YYYY-MM-DD)',
  timestamp: () => 'not an ISO-8601 timestamp',
  object: () => 'not a JSON object',
};

function literalFor(p: ContractProperty, value: number | string): string {
  return typeof value === 'number' ? String(value) : `${sqlString(value)}::${p.type.duckdbType}`;
}

/** One rule of a property: `holds` is TRUE when a present (non-blank) value meets it; `reason` names the breach. */
export interface RuleCheck {
  readonly holds: string;
  readonly reason: string;
}

/**
 * The rule table of a property, in the order its reasons are reported: the value converts to the
 * contract type, then accepted values, ranges, lengths and the pattern. Both the boolean clean check
 * (`cleanExpression`, used by the single pass and to settle valid rows) and the reasons
 * (`reasonExpression`) are derived from this one table, so they cannot disagree. `v` is the typed value.
 */
export function ruleChecks(p: ContractProperty, v: string): RuleCheck[] {
  const checks: RuleCheck[] = [];
  const add = (holds: string, reason: string) => checks.push({ holds, reason: `${p.name}: ${reason}` });
  if (p.type.logicalType !== 'string') add(`(${v}) IS NOT NULL`, TYPE_REASONS[p.type.logicalType](p));
  const rules = p.rules;
  if (rules.acceptedValues) add(`(${v}) IN (${rules.acceptedValues.map(sqlString).join(', ')})`, `not an accepted value (${rules.acceptedValues.join(', ')})`);
  if (rules.minimum !== undefined) add(`(${v}) >= ${literalFor(p, rules.minimum)}`, `below the minimum ${rules.minimum}`);
  if (rules.exclusiveMinimum !== undefined) add(`(${v}) > ${literalFor(p, rules.exclusiveMinimum)}`, `not above ${rules.exclusiveMinimum}`);
  if (rules.maximum !== undefined) add(`(${v}) <= ${literalFor(p, rules.maximum)}`, `above the maximum ${rules.maximum}`);
  if (rules.exclusiveMaximum !== undefined) add(`(${v}) < ${literalFor(p, rules.exclusiveMaximum)}`, `not below ${rules.exclusiveMaximum}`);
  const maxLength = rules.maxLength ?? p.type.maxLength;
  if (rules.minLength !== undefined) add(`length(${v}) >= ${rules.minLength}`, `shorter than ${rules.minLength} characters`);
  if (maxLength !== undefined) add(`length(${v}) <= ${maxLength}`, `longer than ${maxLength} characters`);
  if (rules.pattern !== undefined) add(`regexp_full_match(${v}, ${sqlString(rules.pattern)})`, `does not match ${rules.pattern}`);
  return checks;
}

/**
 * Why a value that does not convert failed, more precisely than its type's reason, where the raw text
 * tells (timestamps: no zone, an offset beyond ±18:00). Only evaluated for values that did not convert.
 */
function conversionDetails(p: ContractProperty, v: string): RuleCheck[] {
  if (p.type.logicalType !== 'timestamp') return [];
  const r = rawColumn(p);
  const label = (text: string) => `${p.name}: ${text}`;
  return [
    { holds: `NOT ((${v}) IS NULL AND regexp_full_match(${r}, ${sqlString(ZONELESS_TIMESTAMP_TEXT)}))`, reason: label('no time zone (add Z or an offset such as -03:00)') },
    {
      holds: `NOT ((${v}) IS NULL AND regexp_full_match(${r}, ${sqlString(OFFSET_TIMESTAMP_TEXT)}) AND NOT regexp_full_match(${r}, ${sqlString(TIMESTAMP_TEXT)}))`,
      reason: label('offset outside ±18:00'),
    },
  ];
}

/**
 * The reason a row's value of `p` is rejected, NULL when it is fine: a missing required value, then the
 * first broken rule of `ruleChecks`. Rows whose record could not be parsed get no column reasons (the
 * parse error says it all).
 */
export function reasonExpression(p: ContractProperty, v: string = typedExpression(p)): string {
  const branches = [`WHEN ${blankExpression(p)} THEN ${p.required ? sqlString(`${p.name}: missing required value`) : 'NULL'}`];
  for (const check of [...conversionDetails(p, v), ...ruleChecks(p, v)]) branches.push(`WHEN NOT (${check.holds}) THEN ${sqlString(check.reason)}`);
  return `CASE WHEN _parse_error IS NOT NULL THEN NULL ${branches.join(' ')} END`;
}

/**
 * TRUE when a row's value of `p` breaks no rule: the boolean twin of `reasonExpression` (NULL reason ⇔
 * TRUE here), derived from the same `ruleChecks`, cheaper to evaluate because no reason text is built.
 * With `fast` (the single pass) the expression may be FALSE for some rows that break no rule, never TRUE
 * for one that breaks a rule: `fast.canonical` is one more condition a present value must meet (see
 * `fastTypedExpression`).
 */
export function cleanExpression(p: ContractProperty, v: string = typedExpression(p), fast?: { canonical?: string }): string {
  const missing = blankExpression(p);
  const holds = ruleChecks(p, v).map((c) => c.holds);
  if (fast?.canonical !== undefined) holds.splice(p.type.logicalType === 'string' ? 0 : 1, 0, fast.canonical);
  const present = holds.length ? `(${holds.join(' AND ')})` : 'true';
  if (!p.required) return `(${missing} OR ${present})`;
  // A blank value never converts: a converted (non-NULL) value is present.
  if (p.type.logicalType !== 'string') return present;
  // The single pass takes a required text as present when its first byte is above the space (strings
  // compare bytewise), which implies it is not blank and costs one comparison; text that starts with a
  // space, a tab or a control character is left to the full path.
  return fast ? `(${rawColumn(p)} >= '!' AND ${present})` : `(NOT ${missing} AND ${present})`;
}

/**
 * Pure builders of the DuckDB SQL that reads a source file with the contract's explicit schema, converts
 * and validates every value, and tells for every row which rules it breaks. No I/O here.
 */
import type { ContractProperty, DatasetContract } from '../shared/contracts';
import { MAX_LINE_BYTES } from './limits';

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Column holding a property's raw text in the `src` table. */
export const rawColumn = (p: ContractProperty): string => sqlIdent(`r_${p.name}`);
/** Column holding a property's converted value in the `checked` table. */
export const typedColumn = (p: ContractProperty): string => sqlIdent(`t_${p.name}`);

/** Field separator for reading NDJSON as whole lines: four control bytes no text line contains. */
const LINE_READER_DELIMITER = "chr(30) || chr(31) || chr(30) || chr(31)";

function jsonPath(segments: readonly string[]): string {
  return `$.${segments.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('.')}`;
}

/**
 * How sources are read. `schema`: DuckDB's reader with the contract's shape (every leaf as text), one
 * fast parallel pass with no row numbers unless a primary key needs them; for JSON a single malformed
 * line fails the whole read. `lines`: every row numbered and, for JSON, one line at a time, so that a
 * malformed line is just a quarantined row and every rejected row keeps its exact original text and line.
 */
export type JsonReader = 'schema' | 'lines';

/** Row order matters to the last row of a primary key and to quarantine line numbers; numbering rows serialises the scan. */
const lineNumber = (contract: DatasetContract, reader: JsonReader, offset = 0): string =>
  reader === 'lines' || contract.primaryKey.length ? `row_number() OVER ()${offset ? ` + ${offset}` : ''}` : 'NULL::BIGINT';

interface ShapeNode {
  [field: string]: ShapeNode | ContractProperty;
}

/** DuckDB `columns` type of a source field tree: leaves are VARCHAR (objects kept as JSON), nodes STRUCTs. */
function shapeType(node: ShapeNode | ContractProperty): string {
  if ('type' in node && 'sourcePath' in node) return (node as ContractProperty).type.logicalType === 'object' ? 'JSON' : 'VARCHAR';
  return `STRUCT(${Object.entries(node as ShapeNode).map(([k, v]) => `${sqlIdent(k)} ${shapeType(v)}`).join(', ')})`;
}

function schemaReaderSql(contract: DatasetContract, pieces: readonly PieceRef[]): string {
  const tree: ShapeNode = {};
  for (const p of contract.properties) {
    let node = tree;
    p.sourcePath.forEach((segment, i) => {
      if (i === p.sourcePath.length - 1) node[segment] = p;
      else node = (node[segment] ??= {}) as ShapeNode;
    });
  }
  const columns = Object.entries(tree).map(([k, v]) => `${sqlString(k)}: ${sqlString(shapeType(v))}`).join(', ');
  const raw = contract.properties.map((p) => `${p.sourcePath.map(sqlIdent).join('.')}::VARCHAR AS ${rawColumn(p)}`).join(', ');
  const format = contract.format === 'json-array' ? 'array' : 'newline_delimited';
  const several = pieces.length > 1;
  const files = several ? `[${pieces.map((p) => sqlString(p.path)).join(', ')}]` : sqlString(pieces[0].path);
  return `CREATE OR REPLACE TEMP VIEW src AS
SELECT ${lineNumber(contract, 'schema')} AS _line, NULL::VARCHAR AS _raw, NULL::VARCHAR AS _parse_error, ${raw}, ${several ? 'filename' : 'NULL::VARCHAR AS filename'}
FROM read_json(${files}, format = ${sqlString(format)}, columns = {${columns}}, maximum_object_size = ${MAX_LINE_BYTES}${several ? ', filename = true' : ''})`;
}

/** SQL creating the view `src(_line, _raw, _parse_error, r_<property>…)` over a local file. */
/** A piece of a source's text (see source-file.ts): its local path and the number of its first line. */
export interface PieceRef {
  readonly path: string;
  readonly firstLine: number;
}

const asPieces = (source: string | readonly PieceRef[]): readonly PieceRef[] => (typeof source === 'string' ? [{ path: source, firstLine: 1 }] : source);

/**
 * SQL creating the view `src(_line, _raw, _parse_error, r_<property>…)` over a local file or its pieces.
 * The schema reader over several pieces also gives `filename`, which piece a row comes from.
 */
export function readSourceSql(contract: DatasetContract, source: string | readonly PieceRef[], reader: JsonReader = 'lines'): string {
  const pieces = asPieces(source);
  const path = pieces[0].path;
  if (contract.format === 'csv') {
    const csv = contract.csv!;
    const columns = contract.properties.map((p) => `${sqlString(p.sourcePath[0])}: 'VARCHAR'`).join(', ');
    const raw = contract.properties.map((p) => `${sqlIdent(p.sourcePath[0])} AS ${rawColumn(p)}`).join(', ');
    // Line 1 is the header.
    return `CREATE OR REPLACE TEMP VIEW src AS
SELECT ${lineNumber(contract, reader, 1)} AS _line, NULL::VARCHAR AS _raw, NULL::VARCHAR AS _parse_error, ${raw}, NULL::VARCHAR AS filename
FROM read_csv(${sqlString(path)}, columns = {${columns}}, header = true, auto_detect = false,
  delim = ${sqlString(csv.delimiter)}, quote = ${sqlString(csv.quote)}, escape = ${sqlString(csv.escape)},
  max_line_size = ${MAX_LINE_BYTES}, ignore_errors = true, store_rejects = true,
  rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`;
  }
  if (reader === 'schema') return schemaReaderSql(contract, pieces);
  // Each piece numbers its own lines from its first line (pieces that follow each other number on).
  const pieceLines = (piece: PieceRef) => `SELECT row_number() OVER () + ${piece.firstLine - 1} AS _line, line
    FROM read_csv(${sqlString(piece.path)}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,
      delim = ${LINE_READER_DELIMITER}, quote = '', escape = '', max_line_size = ${MAX_LINE_BYTES})`;
  const lines =
    contract.format === 'json-array'
      ? `SELECT row_number() OVER () AS _line, json::VARCHAR AS _raw FROM read_json_objects(${sqlString(path)}, format = 'array')`
      : `SELECT _line, rtrim(line, chr(13)) AS _raw FROM (
    ${pieces.map((piece) => `(${pieceLines(piece)})`).join('\n    UNION ALL ')}
  ) WHERE trim(line, ' ' || chr(9) || chr(13)) <> ''`;
  // One JSON parse per line extracts every path (objects come back as their JSON text); lines that are
  // not valid JSON objects are never parsed further.
  const paths = contract.properties.map((p) => sqlString(jsonPath(p.sourcePath))).join(', ');
  const raw = contract.properties.map((p, i) => `_values[${i + 1}] AS ${rawColumn(p)}`).join(', ');
  return `CREATE OR REPLACE TEMP VIEW src AS
SELECT _line, _raw, _parse_error, ${raw}
FROM (
  SELECT _line, _raw, _parse_error,
    CASE WHEN _parse_error IS NULL THEN json_extract_string(_raw, [${paths}]) END AS _values
  FROM (
    SELECT _line, _raw,
      CASE WHEN NOT json_valid(_raw) THEN 'invalid JSON'
           WHEN NOT starts_with(ltrim(_raw), '{') THEN 'not a JSON object' END AS _parse_error
    FROM (${lines})
  )
)`;
}

const INTEGER_TEXT = String.raw`^\s*[-+]?[0-9]+\s*$`;
const DATE_TEXT = String.raw`^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$`;
/** Date and time of an ISO-8601 timestamp, before its zone. */
const TIMESTAMP_LOCAL = String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?`;
/**
 * A timestamp must say its zone: `Z` or an offset within ±18:00 (ISO-8601's and java.time's range). A
 * zone-less timestamp is refused, not taken as UTC: the same text means different instants to different
 * producers (see the README, "Timestamps").
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

/** The latest event time accepted, as the SQL literal comparable with the event column, and as text for reasons. */
function latestEvent(p: ContractProperty, latestEventTime: Date): { literal: string; text: string } {
  if (p.type.logicalType === 'date') {
    const day = latestEventTime.toISOString().slice(0, 10);
    return { literal: `DATE ${sqlString(day)}`, text: day };
  }
  const instant = latestEventTime.toISOString();
  return { literal: `TIMESTAMP ${sqlString(instant.replace('T', ' ').replace('Z', ''))}`, text: instant };
}

/**
 * The single pass's clean condition over any value expressions (`valueOf(p)`: a typed column, or the fast
 * conversion written inline): every property's `cleanExpression` with the fast forms, and the event time
 * within the projection start and the future horizon. TRUE only for rows that break no rule.
 */
function fastClean(contract: DatasetContract, projectionStartDate: string, latestEventTime: Date, valueOf: (p: ContractProperty) => string): string {
  const eventProperty = contract.properties.find((x) => x.name === contract.eventTimeColumn)!;
  const event = valueOf(eventProperty);
  const eventDay = eventProperty.type.logicalType === 'date' ? event : `CAST(${event} AS DATE)`;
  return [
    ...contract.properties.map((p) => cleanExpression(p, valueOf(p), { canonical: fastTypedExpression(p).canonical?.(valueOf(p)) })),
    `${eventDay} >= DATE ${sqlString(projectionStartDate)}`,
    `${event} <= ${latestEvent(eventProperty, latestEventTime).literal}`,
  ].join('\n      AND ');
}

/** The single pass's clean condition over the raw columns of `src` alone (its conversions inline). */
export function fastCleanOfRaw(contract: DatasetContract, projectionStartDate: string, latestEventTime: Date): string {
  return fastClean(contract, projectionStartDate, latestEventTime, (p) => `(${fastTypedExpression(p).typed})`);
}

function checkParts(contract: DatasetContract, projectionStartDate: string, latestEventTime: Date, fast = false) {
  const eventProperty = contract.properties.find((x) => x.name === contract.eventTimeColumn)!;
  const event = typedColumn(eventProperty);
  const eventDay = eventProperty.type.logicalType === 'date' ? event : `CAST(${event} AS DATE)`;
  const eventDate = `CAST(${eventDay} AS VARCHAR)`;
  const conversions = new Map(contract.properties.map((p) => [p, fast ? fastTypedExpression(p) : { typed: typedExpression(p) }] as const));
  const typed = contract.properties.map((p) => `${conversions.get(p)!.typed} AS ${typedColumn(p)}`);
  const reasons = contract.properties.map((p) => reasonExpression(p, typedColumn(p)));
  const early = `CASE WHEN ${eventDay} < DATE ${sqlString(projectionStartDate)} THEN ${sqlString(`${contract.eventTimeColumn}: before ${projectionStartDate}, the first day the silver table can show`)} END`;
  // An event later than the future horizon is refused: no partition the catalog shows could hold it.
  const latest = latestEvent(eventProperty, latestEventTime);
  const late = `CASE WHEN ${event} > ${latest.literal} THEN ${sqlString(`${contract.eventTimeColumn}: later than ${latest.text}, the latest event time accepted (processing time plus the stage's future horizon)`)} END`;
  return {
    /**
     * TRUE when the row breaks no rule (NULL or FALSE otherwise). The single pass's readers set no parse
     * error, and a row whose event date is NULL is not clean there anyway (the event column is required).
     */
    clean: fast
      ? fastClean(contract, projectionStartDate, latestEventTime, typedColumn)
      : [
          '_parse_error IS NULL',
          ...contract.properties.map((p) => cleanExpression(p, typedColumn(p))),
          `(${eventDay} IS NULL OR ${eventDay} >= DATE ${sqlString(projectionStartDate)})`,
          `(${event} IS NULL OR ${event} <= ${latest.literal})`,
        ].join('\n      AND '),
    /** Every reason expression of a row, the parse error first; NULL where a rule holds. */
    all: ['_parse_error', ...reasons, early, late].join(',\n      '),
    /** Partition of a row: its event date as text, `unknown` when it has none (quarantined rows only). */
    dt: `coalesce(${eventDate}, 'unknown')`,
    /**
     * Partition of a silver row, which always has an event date: the DATE itself (the hive folder is
     * the same `dt=YYYY-MM-DD`), cheaper to partition on than its text.
     */
    silverDt: eventDay,
    /** `src` with every typed value computed once. */
    typedSource: `SELECT _line, _raw, _parse_error, ${contract.properties.map(rawColumn).join(', ')}, ${typed.join(', ')}${fast ? ', filename' : ''} FROM src`,
  };
}

/**
 * SQL creating `checked` from `src`: every typed value, the list of reasons of each row (empty = valid)
 * and the row's partition date (the event date, `unknown` when it cannot be read).
 */
export function checkSql(contract: DatasetContract, projectionStartDate: string, latestEventTime: Date, pads?: PiiPads, withFast = false): string {
  const { all, clean, dt, typedSource } = checkParts(contract, projectionStartDate, latestEventTime);
  // A CSV record is kept as a JSON object of its fields; a JSON record as its original line. A dataset
  // with PII columns keeps, for a parsed row, the object of its fields with every PII value replaced by
  // its keyed hash (as in silver), and nothing for a row that could not be parsed (see quarantine-record.ts).
  const pii = contract.properties.some((p) => p.pii);
  if (pii && !pads) throw new Error(`dataset ${contract.name} has PII columns but no PII key was given`);
  const field = (p: ContractProperty) => (p.pii ? `CASE WHEN ${rawColumn(p)} IS NOT NULL THEN ${hmacSha256Expression(rawColumn(p), pads!.innerPadHex, pads!.outerPadHex)} END` : rawColumn(p));
  const fields = `to_json({${contract.properties.map((p) => `${sqlString(contract.format === 'csv' ? p.sourcePath[0] : p.name)}: ${field(p)}`).join(', ')}})::VARCHAR`;
  const record = pii ? `CASE WHEN _parse_error IS NULL THEN ${fields} END` : contract.format === 'csv' ? fields : '_raw';
  // Most rows are valid: the boolean clean check (TRUE exactly when no reason applies, tested as such)
  // settles them, and the reasons are only worked out, and listed, for the others. The original record
  // is kept only for rows going to quarantine.
  return `CREATE OR REPLACE TEMP TABLE checked AS
SELECT _line, CASE WHEN len(_reasons) > 0 THEN ${record} END AS _raw, _reasons, dt, ${contract.properties.map(typedColumn).join(', ')}${withFast ? ', _fast' : ''}
FROM (
  SELECT *,
    CASE WHEN ${clean} THEN []::VARCHAR[] ELSE list_filter([${all}], x -> x IS NOT NULL) END AS _reasons,
    ${dt} AS dt${withFast ? `,\n    coalesce(${fastCleanOfRaw(contract, projectionStartDate, latestEventTime)}, false) AS _fast` : ''}
  FROM (${typedSource})
)`;
}

/** First day of the sieve's set-aside partitions: `dt` = this day + the index of the piece a row came from. */
export const SET_ASIDE_EPOCH = '0001-01-01';

/**
 * The sieve, the single pass of a file without a primary key, read in pieces: one streaming COPY that
 * writes every row the single pass finds clean to its silver partition, and every other row to a
 * set-aside partition `dt` = SET_ASIDE_EPOCH + its piece's index (a day no real partition can have:
 * they start at the projection start). The caller deletes the set-aside partitions and reads only their
 * pieces again, line by line; the counts of both come from COPY's RETURN_STATS.
 */
export function sieveSilverSelectSql(
  contract: DatasetContract,
  projectionStartDate: string,
  latestEventTime: Date,
  lineage: LineageValues,
  pieces: readonly PieceRef[],
  pads?: PiiPads,
): string {
  const { clean, silverDt, typedSource } = checkParts(contract, projectionStartDate, latestEventTime, true);
  const piece = pieces.length > 1 ? `(list_position([${pieces.map((p) => sqlString(p.path)).join(', ')}], filename) - 1)` : '0';
  return silverSelectSql(contract, lineage, pads, `(SELECT *, CASE WHEN ${clean} THEN ${silverDt} ELSE DATE ${sqlString(SET_ASIDE_EPOCH)} + ${piece} END AS dt FROM (${typedSource}))`);
}

/** Message of the error the single-pass copy raises at the first row that breaks a rule. */
export const NOT_CLEAN_MARKER = 'medallion: a row breaks a rule';

/**
 * A single pass from `src` to silver for files expected to be clean: the same conversions and rules as
 * `checkSql` + `silverSelectSql` (integers and dates through `fastTypedExpression`), but nothing is
 * materialized; the first row that breaks any rule, or whose values are outside the forms the single
 * pass accepts (see `fastTypedExpression` and `cleanExpression`), aborts the statement with
 * NOT_CLEAN_MARKER, and the caller then takes the full path.
 */
export function cleanSilverSelectSql(contract: DatasetContract, projectionStartDate: string, latestEventTime: Date, lineage: LineageValues, pads?: PiiPads): string {
  const { clean, silverDt, typedSource } = checkParts(contract, projectionStartDate, latestEventTime, true);
  return silverSelectSql(contract, lineage, pads, `(SELECT *, ${silverDt} AS dt FROM (${typedSource}))
WHERE CASE WHEN ${clean} THEN true ELSE error(${sqlString(NOT_CLEAN_MARKER)}) END`);
}

export interface LineageValues {
  readonly sourceKey: string;
  readonly sourceVersion: string;
  readonly fileId: string;
  /** ISO-8601 instant. */
  readonly ingestedAt: string;
}

/** HMAC-SHA256 of a VARCHAR expression, in hex, from the key's inner and outer pads (RFC 2104). */
export function hmacSha256Expression(expr: string, innerPadHex: string, outerPadHex: string): string {
  return `sha256(unhex(${sqlString(outerPadHex)}) || unhex(sha256(unhex(${sqlString(innerPadHex)}) || encode(${expr}))))`;
}

export interface PiiPads {
  readonly innerPadHex: string;
  readonly outerPadHex: string;
}

/**
 * A text constant of every row (the lineage of a file). As a one-value ENUM the Parquet writer encodes it
 * from its dictionary instead of hashing the string of each row, a third of a bare DuckDB write's time
 * for the three columns; the file holds the same plain UTF-8 strings.
 */
const constantText = (value: string): string => `CAST(${sqlString(value)} AS ENUM(${sqlString(value)}))`;

/**
 * SELECT of the silver rows: valid rows, cast to the contract types, PII replaced by its keyed hash,
 * lineage columns, partition column last; within the file the last row of a primary key wins.
 */
export function silverSelectSql(contract: DatasetContract, lineage: LineageValues, pads?: PiiPads, from = 'checked WHERE len(_reasons) = 0'): string {
  const columns = contract.properties.map((p) => {
    const value = p.pii ? hmacSha256Expression(typedColumn(p), pads!.innerPadHex, pads!.outerPadHex) : typedColumn(p);
    return `CAST(${value} AS ${p.type.duckdbType}) AS ${sqlIdent(p.name)}`;
  });
  const dedup = contract.primaryKey.length
    ? `QUALIFY row_number() OVER (PARTITION BY ${contract.primaryKey.map((k) => typedColumn(contract.properties.find((p) => p.name === k)!)).join(', ')} ORDER BY _line DESC) = 1`
    : '';
  return `SELECT ${columns.join(', ')},
  ${constantText(lineage.sourceKey)} AS _source_key, ${constantText(lineage.sourceVersion)} AS _source_version,
  ${constantText(lineage.fileId)} AS _file_id, ${sqlString(lineage.ingestedAt)}::TIMESTAMPTZ::TIMESTAMP AS _ingested_at,
  dt
FROM ${from}
${dedup}`;
}

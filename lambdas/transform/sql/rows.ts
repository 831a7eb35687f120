/**
 * Row-level SQL: the checked table of the full path, the single pass and the sieve to silver, and the
 * silver SELECT with PII hashing and lineage (pure SQL builders, no I/O).
 */
import type { ContractProperty, DatasetContract } from '../../shared/contracts';
import type { PieceRef } from './read';
import { cleanExpression, fastTypedExpression, reasonExpression, typedExpression } from './rules';
import { rawColumn, sqlIdent, sqlString, typedColumn } from './text';

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


/**
 * Every statement the engine runs besides the row SQL (rows.ts) and the readers (read.ts): session set-up,
 * the temporary tables it creates and drops, the partitioned COPYs, the count queries, the CSV rejects
 * and line numbering, and the quarantine output. The engine only runs these and reads counts.
 */
import type { DatasetContract } from '../../shared/contracts';
import type { LineageValues } from './rows';
import { sqlString } from './text';

export const SESSION_SETUP = `SET TimeZone = 'UTC'`;

/** The view every reader creates. */
export const SOURCE_VIEW = 'src';
/** The CSV reader's own tables of records it set aside. */
export const CSV_READER_TABLES = ['csv_rejects', 'csv_reject_scans'] as const;
/** Every temporary table the engine may create; all are dropped when a file is done. */
export const TEMP_TABLES = ['checked', 'rejected', 'quarantined', 'skipped', 'skipped_lines', 'continuation', 'continuation_lines', ...CSV_READER_TABLES] as const;

export const dropViewSql = (name: string): string => `DROP VIEW IF EXISTS ${name}`;
export const dropTableSql = (name: string): string => `DROP TABLE IF EXISTS ${name}`;

/** COPY of a SELECT to zstd Parquet partitioned by `dt` (with RETURN_STATS: one row per file written, with its row count and partition). */
export function copyPartitionedSql(select: string, dir: string, options: { stats?: boolean; filePattern?: string } = {}): string {
  return `COPY (${select}) TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), FILENAME_PATTERN ${sqlString(options.filePattern ?? 'part_{i}')}, OVERWRITE${options.stats ? ', RETURN_STATS' : ''})`;
}

export const COUNT_CSV_REJECTS = 'SELECT count(*) FROM csv_rejects';
export const COUNT_SOURCE = `SELECT count(*) FROM ${SOURCE_VIEW}`;
export const COUNT_CHECKED = 'SELECT count(*) FROM checked';
export const COUNT_REJECTED = 'SELECT count(*) FROM rejected';
export const COUNT_INVALID = 'SELECT count(*) FROM checked WHERE len(_reasons) > 0';
/** Rows the sieve already wrote (clean in its sense), on a piece read again. */
export const COUNT_ALREADY_WRITTEN = 'SELECT count(*) FROM checked WHERE _fast';
/** Where the silver rows of `checked` are: valid ones, minus those the sieve wrote when `onlyNotFast`. */
export const validRowsOf = (onlyNotFast: boolean): string => (onlyNotFast ? 'checked WHERE len(_reasons) = 0 AND NOT _fast' : 'checked WHERE len(_reasons) = 0');

/** Silver rows by partition: from the silver SELECT itself with a primary key (superseded rows drop out), else from `checked`. */
export function silverCountsSql(contract: DatasetContract, silverSql: string, onlyNotFast: boolean): string {
  return contract.primaryKey.length ? `SELECT dt, count(*) FROM (${silverSql}) GROUP BY dt` : `SELECT dt, count(*) FROM ${validRowsOf(onlyNotFast)} GROUP BY dt`;
}

/** Quarantined rows by their first reason, most frequent first. */
export function reasonCountsSql(csv: boolean): string {
  return `SELECT reason, count(*) FROM (SELECT _reasons[1] AS reason FROM checked WHERE len(_reasons) > 0 ${csv ? 'UNION ALL SELECT reason FROM rejected' : ''}) GROUP BY reason ORDER BY count(*) DESC, reason`;
}

/** A temporary table `name(line BIGINT)`, filled by the engine's appender. */
export const lineTableSql = (name: string): string => `CREATE OR REPLACE TEMP TABLE ${name} (line BIGINT)`;

const CSV_REJECT_REASONS: Record<string, string> = {
  'TOO MANY COLUMNS': 'wrong CSV column count',
  'MISSING COLUMNS': 'wrong CSV column count',
  'UNQUOTED VALUE': 'malformed CSV quoting',
  'LINE SIZE OVER MAXIMUM': 'CSV record too long',
  'INVALID ENCODING': 'not valid UTF-8',
  'INVALID UNICODE': 'not valid UTF-8',
};

/**
 * The CSV records the reader set aside, one row per line with its reason. The reader numbers a multi-line
 * record as one line: its rejects' lines become physical lines with the further lines of the multi-line
 * records before them (`continuation_lines`; reader line d is on d + #{i : cont_i - i < d}).
 */
export function csvRejectedSql(): string[] {
  const rejectCases = Object.entries(CSV_REJECT_REASONS).map(([type, reason]) => `WHEN ${sqlString(type)} THEN ${sqlString(reason)}`).join(' ');
  return [
    `CREATE OR REPLACE TEMP TABLE continuation AS
      SELECT line - row_number() OVER (ORDER BY line) AS lines_before FROM continuation_lines`,
    `CREATE OR REPLACE TEMP TABLE rejected AS
      SELECT line + (SELECT count(*) FROM continuation WHERE lines_before < line) AS _line, trim(arg_min(csv_line, byte_position), chr(10) || chr(13)) AS _raw,
        CASE arg_min(error_type, byte_position) ${rejectCases} ELSE 'unreadable CSV record: ' || lower(arg_min(error_type, byte_position)) END AS reason,
        arg_min(error_message, byte_position) AS detail
      FROM csv_rejects GROUP BY line`,
  ];
}

/**
 * A CSV row's `_line` is its ordinal among the records the reader returned (+1 for the header); the lines
 * that start none (`skipped_lines`: blank, set aside, further lines of a multi-line record; and the
 * reader's rejects) turn it into its line: record k is on line k + 1 + #{skipped line i : line_i - i - 1 < k}.
 * Returns the statement and the line expression over `checked`.
 */
export function csvLineNumbers(): { sql: string; line: string } {
  return {
    sql: `CREATE OR REPLACE TEMP TABLE skipped AS
        SELECT line - row_number() OVER (ORDER BY line) - 1 AS records_before
        FROM (SELECT line FROM skipped_lines UNION SELECT _line FROM rejected)`,
    line: '_line + (SELECT count(*) FROM skipped WHERE records_before < checked._line - 1)',
  };
}

/**
 * The quarantined rows: checked rows with reasons and, for CSV, the reader's rejects (for a dataset with
 * PII columns a reject keeps no text, and its reason no reader detail, which may quote it).
 */
export function quarantinedSql(contract: DatasetContract, line: string): string {
  const csv = contract.format === 'csv';
  const pii = contract.properties.some((p) => p.pii);
  const record = csv ? '_raw::JSON' : '_raw';
  const rejects = csv ? `UNION ALL SELECT _line, [reason${pii ? '' : " || ': ' || detail"}], ${pii ? 'NULL::JSON' : 'to_json(_raw)'}, 'unknown' FROM rejected` : '';
  return `CREATE OR REPLACE TEMP TABLE quarantined AS
      SELECT ${line} AS line, _reasons AS reasons, ${record} AS record, dt FROM checked WHERE len(_reasons) > 0
      ${rejects}`;
}

export const QUARANTINE_PARTITIONS_SQL = 'SELECT dt, count(*) FROM quarantined GROUP BY dt ORDER BY dt';

/** The JSON lines of one quarantine partition (see quarantine-record.ts), written to `path`. */
export function quarantineCopySql(lineage: LineageValues, dt: string, path: string, withheld?: string): string {
  return `COPY (
          SELECT ${sqlString(lineage.sourceKey)} AS source_key, ${sqlString(lineage.sourceVersion)} AS source_version, line, reasons, record
            ${withheld ? `, CASE WHEN record IS NULL THEN ${sqlString(withheld)} END AS withheld` : ''}
          FROM quarantined WHERE dt = ${sqlString(dt)} ORDER BY line
        ) TO ${sqlString(path)} (FORMAT json)`;
}

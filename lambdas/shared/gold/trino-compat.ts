/**
 * What the local DuckDB needs to evaluate Gold SQL with Athena engine v3 (Trino) semantics: the session
 * runs in UTC with integer division, and Trino functions the SQL uses are DuckDB macros with the same
 * results (each covered by a test).
 */
export const TRINO_SESSION_SETTINGS = [`SET TimeZone = 'UTC'`, 'SET integer_division = true'];

export const TRINO_COMPAT_MACROS: Readonly<Record<string, string>> = {
  // Trino: parses ISO-8601 with Z or an offset into a timestamp with time zone.
  from_iso8601_timestamp: 'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  // Trino: a date as YYYY-MM-DD; a timestamp(3) as YYYY-MM-DDTHH:MM:SS.mmm (Z appended for one with a time zone).
  to_iso8601:
    "CREATE OR REPLACE MACRO to_iso8601(x) AS CASE WHEN typeof(x) = 'DATE' THEN CAST(x AS VARCHAR) WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime(x, '%Y-%m-%dT%H:%M:%S.%g') END",
};

export function trinoCompatSql(): string[] {
  return [...TRINO_SESSION_SETTINGS, ...Object.values(TRINO_COMPAT_MACROS)];
}

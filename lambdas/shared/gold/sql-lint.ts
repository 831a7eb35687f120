import { TRINO_COMPAT_MACROS } from './trino-compat';

/** Functions that behave the same on Athena engine v3 (Trino) and DuckDB, as the Gold SQL uses them. */
export const PORTABLE_FUNCTIONS = ['count', 'sum', 'min', 'max', 'avg', 'coalesce', 'cast', 'row_number', 'min_by', 'max_by', 'nullif'];

const KEYWORDS_BEFORE_PARENS = ['in', 'exists', 'over', 'as', 'select', 'from', 'join', 'on', 'and', 'or', 'not', 'decimal', 'varchar', 'when', 'then', 'else', 'by', 'with', 'between', 'where'];

const DUCKDB_ONLY: readonly [RegExp, string][] = [
  [/::/, "'::' casts are DuckDB/PostgreSQL syntax; use CAST(x AS type)"],
  [/\bqualify\b/i, 'QUALIFY is not in Trino; filter a row_number() in an outer query'],
  [/\bgroup\s+by\s+all\b/i, 'GROUP BY ALL is not in Trino; list the grouping expressions'],
  [/`/, 'backticks are not SQL identifiers in Trino; use double quotes'],
  [/\bilike\b/i, 'ILIKE is not in Trino; use lower(x) LIKE …'],
  [/\bexclude\s*\(/i, 'SELECT * EXCLUDE is DuckDB-only; list the columns'],
  [/\bread_(parquet|csv|json)\b/i, 'reading files directly is DuckDB-only; read the silver tables'],
  [/"[^"]*"\s*\(/, 'quoted function names are not portable'],
  [/\bdate_trunc\s*\(\s*'/i, 'date_trunc differs in result type between the engines; cast to DATE instead'],
  [
    /\bfrom_iso8601_timestamp\s*\([^)]*\)(?!\s+at\s+time\s+zone\b)/i,
    "CAST(from_iso8601_timestamp(x) AS TIMESTAMP) keeps the wall-clock time of an offset on Trino and converts to UTC on DuckDB; write CAST(from_iso8601_timestamp(x) AT TIME ZONE 'UTC' AS TIMESTAMP)",
  ],
];

export interface LintProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Refuses SQL that would behave differently (or not run) on one of the two engines: DuckDB-only syntax,
 * and any function outside the portable list and the tested compatibility macros.
 */
export function lintGoldSql(sql: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const allowed = new Set([...PORTABLE_FUNCTIONS, ...Object.keys(TRINO_COMPAT_MACROS), ...KEYWORDS_BEFORE_PARENS]);
  sql.split('\n').forEach((text, i) => {
    const code = text.replace(/--.*$/, '').replace(/'[^']*'/g, "''");
    for (const [pattern, message] of DUCKDB_ONLY) if (pattern.test(code)) problems.push({ line: i + 1, message });
    for (const m of code.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)) {
      const name = m[1].toLowerCase();
      if (!allowed.has(name)) problems.push({ line: i + 1, message: `function ${name}() has no tested equivalent on both engines; use one of ${PORTABLE_FUNCTIONS.join(', ')}, or add a compatibility macro with a test` });
    }
  });
  return problems;
}

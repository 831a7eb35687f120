import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the Gold SQL files are read from: `SQL_DIR` when set, else the repository's sql/. */
export const DEFAULT_SQL_DIR = process.env.SQL_DIR ?? join(__dirname, '..', '..', '..', 'sql');

/** Gold datasets in build order: a dataset may read the ones before it (daily_kpis reads user_session_analysis). */
export const GOLD_DATASETS = ['value_prop_features', 'user_session_analysis', 'daily_kpis', 'daily_revenue', 'data_quality_history'] as const;
export type GoldDataset = (typeof GOLD_DATASETS)[number];

/** Names the Gold SQL may use: `${silver}`, `${gold}`, `${ops}` (databases) and `${as_of}` (a DATE expression). */
export interface GoldVariables {
  readonly silver: string;
  readonly gold: string;
  readonly ops: string;
  readonly as_of: string;
}

export function goldSqlText(dataset: GoldDataset, sqlDir: string = DEFAULT_SQL_DIR): string {
  return readFileSync(join(sqlDir, 'gold', `${dataset}.sql`), 'utf8');
}

/**
 * Substitutes `${name}` placeholders. The same rendered text runs on Athena and on the local DuckDB.
 * @throws Error naming a placeholder that has no value
 */
export function renderGoldSql(text: string, variables: GoldVariables): string {
  return text.replace(/\$\{([a-z_]+)\}/g, (_m, name: string) => {
    const value = (variables as unknown as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`unknown placeholder \${${name}} in Gold SQL; known: ${Object.keys(variables).join(', ')}`);
    return value;
  });
}

/** The as-of expression: a given date, or the latest print day. */
export function asOfExpression(silver: string, asOf?: string): string {
  if (asOf !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`as-of date must be YYYY-MM-DD, got '${asOf}'`);
    return `DATE '${asOf}'`;
  }
  return `(SELECT max(day) FROM ${silver}.prints)`;
}

import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the Gold SQL files are read from: `SQL_DIR` when set, else `sql/` of the current folder; read at each call. */
export function defaultSqlDir(): string {
  return resolve(process.env.SQL_DIR ?? 'sql');
}

/** A Gold dataset: the base name of its SQL file. */
export type GoldDataset = string;

/**
 * The Gold datasets of `sql/gold/*.sql` in build order: a dataset that reads another (`${gold}.<name>`)
 * comes after it; otherwise by name. Adding a dataset is adding a file.
 * @throws Error on a reference to a missing dataset or a cycle
 */
export function goldDatasets(sqlDir: string = defaultSqlDir()): GoldDataset[] {
  const names = goldSqlFiles(sqlDir).map((f) => f.replace(/\.sql$/, ''));
  const deps = new Map(names.map((n) => [n, [...goldSqlText(n, sqlDir).matchAll(/\$\{gold\}\.([a-z0-9_]+)/g)].map((m) => m[1])]));
  const ordered: GoldDataset[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, from?: string): void => {
    if (ordered.includes(name)) return;
    if (!deps.has(name)) throw new Error(`sql/gold/${from}.sql reads \${gold}.${name}, but there is no sql/gold/${name}.sql`);
    if (visiting.has(name)) throw new Error(`sql/gold/${name}.sql is part of a dependency cycle: ${[...visiting, name].join(' → ')}`);
    visiting.add(name);
    for (const dep of deps.get(name)!) visit(dep, name);
    visiting.delete(name);
    ordered.push(name);
  };
  for (const name of names) visit(name);
  return ordered;
}

/** The Gold SQL files of `<sqlDir>/gold/` that define datasets (`<name>.sql`, lower case), by name. */
export function goldSqlFiles(sqlDir: string = defaultSqlDir()): string[] {
  return readdirSync(join(sqlDir, 'gold')).filter((f) => /^[a-z][a-z0-9_]*\.sql$/.test(f)).sort();
}

/** Names the Gold SQL may use: `${silver}`, `${gold}`, `${ops}` (databases) and `${as_of}` (a DATE expression). */
export interface GoldVariables {
  readonly silver: string;
  readonly gold: string;
  readonly ops: string;
  readonly as_of: string;
}

export function goldSqlText(dataset: GoldDataset, sqlDir: string = defaultSqlDir()): string {
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


import { DEFAULT_SQL_DIR, goldSqlText } from '../gold';

/**
 * The silver datasets a set of Gold datasets reads, directly (`${silver}.<name>`) or through the Gold
 * datasets they read (`${gold}.<name>`), sorted: the sources whose quality gates their build.
 */
export function goldSources(datasets: readonly string[], sqlDir: string = DEFAULT_SQL_DIR): string[] {
  const sources = new Set<string>();
  const seen = new Set<string>();
  const visit = (dataset: string) => {
    if (seen.has(dataset)) return;
    seen.add(dataset);
    const sql = goldSqlText(dataset, sqlDir);
    for (const m of sql.matchAll(/\$\{silver\}\.([a-z0-9_]+)/g)) sources.add(m[1]);
    for (const m of sql.matchAll(/\$\{gold\}\.([a-z0-9_]+)/g)) visit(m[1]);
  };
  datasets.forEach(visit);
  return [...sources].sort();
}

/**
 * The sources of those of `datasets` whose SQL takes the as-of date (`${as_of}`), sorted: the sources a
 * build as of a date reads up to that date, and whose checks therefore look at the data up to it.
 */
export function asOfSources(datasets: readonly string[], sqlDir: string = DEFAULT_SQL_DIR): string[] {
  return goldSources(datasets.filter((d) => goldSqlText(d, sqlDir).includes('${as_of}')), sqlDir);
}

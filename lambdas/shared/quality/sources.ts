import { defaultSqlDir, goldSqlText } from '../gold';

/** What the SQL of one Gold dataset reads directly. */
export interface GoldLineage {
  readonly dataset: string;
  /** Silver datasets it reads (`${silver}.<name>`), sorted. */
  readonly sources: readonly string[];
  /** Gold datasets it reads (`${gold}.<name>`), sorted. */
  readonly reads: readonly string[];
}

/** The silver and Gold datasets the SQL of a Gold dataset reads directly. */
export function goldLineage(dataset: string, sqlDir: string = defaultSqlDir()): GoldLineage {
  const sql = goldSqlText(dataset, sqlDir);
  const names = (pattern: RegExp) => [...new Set([...sql.matchAll(pattern)].map((m) => m[1]))].sort();
  return { dataset, sources: names(/\$\{silver\}\.([a-z0-9_]+)/g), reads: names(/\$\{gold\}\.([a-z0-9_]+)/g) };
}

/**
 * The silver datasets a set of Gold datasets reads, directly (`${silver}.<name>`) or through the Gold
 * datasets they read (`${gold}.<name>`), sorted: the sources whose quality gates their build.
 */
export function goldSources(datasets: readonly string[], sqlDir: string = defaultSqlDir()): string[] {
  const sources = new Set<string>();
  const seen = new Set<string>();
  const visit = (dataset: string) => {
    if (seen.has(dataset)) return;
    seen.add(dataset);
    const lineage = goldLineage(dataset, sqlDir);
    lineage.sources.forEach((s) => sources.add(s));
    lineage.reads.forEach(visit);
  };
  datasets.forEach(visit);
  return [...sources].sort();
}

/**
 * The sources of those of `datasets` whose SQL takes the as-of date (`${as_of}`), sorted: the sources a
 * build as of a date reads up to that date, and whose checks therefore look at the data up to it.
 */
export function asOfSources(datasets: readonly string[], sqlDir: string = defaultSqlDir()): string[] {
  return goldSources(datasets.filter((d) => goldSqlText(d, sqlDir).includes('${as_of}')), sqlDir);
}

/**
 * The default as-of date of a Gold dataset: the latest event date of the silver data it is built from.
 * A Gold contract names that silver dataset with the `asOfSource` custom property; without it, the silver
 * datasets the SQL reads (directly or through other Gold datasets) count, and a dataset reading none (only
 * the operations tables) takes the latest event date of every source. The event date of a silver row is the
 * date of its contract's eventTimeColumn (the column silver is partitioned by).
 */
import { join } from 'node:path';
import { defaultSqlDir } from '../gold';
import { ContractError, defaultContractsDir, loadContracts, loadGoldContracts, type DatasetContract, type GoldContract } from '../contracts';
import { goldSources } from './sources';

/** A silver table's event-time column, whose latest value dates a Gold build. */
export interface EventDateColumn {
  readonly table: string;
  readonly column: string;
  /** The column is a date (else a timestamp, cast to its date). */
  readonly isDate: boolean;
}

/**
 * The event-time columns whose latest date is the default as-of date of `dataset`.
 * @throws Error when its contract's asOfSource names no source dataset
 */
export function asOfColumns(
  dataset: string,
  contracts: { readonly sources: readonly DatasetContract[]; readonly gold: readonly GoldContract[] },
  sqlDir: string = defaultSqlDir(),
): EventDateColumn[] {
  const gold = contracts.gold.find((c) => c.name === dataset);
  const read = goldSources([dataset], sqlDir);
  const names = gold?.asOfSource ? [gold.asOfSource] : read.length > 0 ? read : contracts.sources.map((c) => c.name);
  return names.map((name) => {
    const source = contracts.sources.find((c) => c.name === name);
    const known = contracts.sources.map((c) => c.name).join(', ');
    if (!source && gold?.asOfSource) {
      throw new ContractError([{ file: gold.file, path: '/schema/0/customProperties', reason: `asOfSource '${name}' is not a source dataset`, hint: `use one of: ${known}` }]);
    }
    if (!source) throw new Error(`sql/gold/${dataset}.sql reads \${silver}.${name}, which is not a source dataset (known: ${known})`);
    const column = source.properties.find((p) => p.name === source.eventTimeColumn);
    return { table: name, column: source.eventTimeColumn, isDate: column?.type.logicalType === 'date' };
  });
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const latest = (c: EventDateColumn) => (c.isDate ? `max(${quote(c.column)})` : `CAST(max(${quote(c.column)}) AS DATE)`);

/** SQL (Athena and DuckDB) of the latest event date of `columns`' tables in the `silver` database: a DATE, NULL when all are empty. */
export function latestEventDateSql(silver: string, columns: readonly EventDateColumn[]): string {
  if (columns.length === 1) return `(SELECT ${latest(columns[0])} FROM ${silver}.${columns[0].table})`;
  return `(SELECT max(event_date) FROM (${columns.map((c) => `SELECT ${latest(c)} AS event_date FROM ${silver}.${c.table}`).join(' UNION ALL ')}) AS latest)`;
}

/**
 * The `${as_of}` of a Gold dataset's SQL: the given date, or the latest event date of its as-of columns (a
 * view without a date reads the newest data).
 */
export function asOfExpression(silver: string, asOf: string | undefined, columns: readonly EventDateColumn[]): string {
  if (asOf !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`as-of date must be YYYY-MM-DD, got '${asOf}'`);
    return `DATE '${asOf}'`;
  }
  return latestEventDateSql(silver, columns);
}

/**
 * The `${as_of}` of one Gold dataset, reading the contracts of `contractsDir` and the SQL of `sqlDir`
 * (default: the current project's, see defaultContractsDir and defaultSqlDir).
 */
export function datasetAsOfExpression(dataset: string, silver: string, asOf: string | undefined, dirs: { readonly contractsDir?: string; readonly sqlDir?: string } = {}): string {
  if (asOf !== undefined) return asOfExpression(silver, asOf, []);
  const contractsDir = dirs.contractsDir ?? defaultContractsDir();
  const contracts = { sources: loadContracts(contractsDir), gold: loadGoldContracts(join(contractsDir, 'gold')) };
  return asOfExpression(silver, undefined, asOfColumns(dataset, contracts, dirs.sqlDir));
}

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LINEAGE_COLUMNS, PARTITION_COLUMN, type DatasetContract } from '../lambdas/shared/contracts';
import { goldDatasets, goldSqlText, renderGoldSql, trinoCompatSql, type GoldDataset } from '../lambdas/shared/gold';
import { datasetAsOfExpression } from '../lambdas/shared/quality';
import { MANIFEST_COLUMNS, OPERATIONS_PREFIX } from '../lambdas/shared/manifest';
import { QUALITY_RESULT_COLUMNS, QUALITY_RESULTS_PREFIX, RUN_COLUMNS, RUNS_PREFIX } from '../lambdas/shared/quality';
import { sqlIdent, sqlString } from '../lambdas/transform/sql';

export interface GoldBuildInput {
  readonly contracts: readonly DatasetContract[];
  /** Folder laid out like the silver bucket: `<dataset>/dt=…/*.parquet`. */
  readonly silverDir: string;
  /** Folder of run manifests (`*.json`). */
  readonly manifestsDir: string;
  /** Mirror of the silver bucket's `_operations/`: registers `<ops>.runs` and `<ops>.quality_results` too. @default not registered */
  readonly operationsDir?: string;
  /** Database names, as in the Glue catalog of the stage. */
  readonly databases: { readonly silver: string; readonly gold: string; readonly ops: string };
  readonly asOf?: string;
  /**
   * The Gold datasets to write (e.g. those the quality gate did not block); every Gold dataset is still
   * defined as a view, since one may read another. @default every Gold dataset
   */
  readonly datasets?: readonly string[];
  /** Where `<dataset>.csv` and `<dataset>.parquet` are written. */
  readonly outDir: string;
  /** DuckDB memory limit, e.g. `4GB`; past it DuckDB spills to disk. @default DuckDB's (80% of RAM) */
  readonly memoryLimit?: string;
}

export interface GoldOutput {
  readonly dataset: GoldDataset;
  readonly rows: number;
  readonly path: string;
}

/** Hive type of a Glue column as DuckDB understands it. */
function duckdbType(glueType: string): string {
  const t = glueType.toLowerCase();
  if (t === 'string' || t.startsWith('varchar')) return 'VARCHAR';
  if (t === 'int') return 'INTEGER';
  if (t.startsWith('map<') || t.startsWith('array<')) return 'JSON';
  return t.toUpperCase();
}

function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
}

/**
 * Creates the silver tables as views over the exported Parquet (typed empty tables for datasets without
 * files) and the operations tables (manifests; runs and quality results when given), under the same
 * database names as the Glue catalog.
 */
export async function registerSources(c: DuckDBConnection, input: Pick<GoldBuildInput, 'contracts' | 'silverDir' | 'manifestsDir' | 'operationsDir' | 'databases'>): Promise<void> {
  const { silver, gold, ops } = input.databases;
  for (const schema of [silver, gold, ops]) await c.run(`CREATE SCHEMA IF NOT EXISTS ${sqlIdent(schema)}`);
  for (const contract of input.contracts) {
    const table = `${sqlIdent(silver)}.${sqlIdent(contract.name)}`;
    const files = parquetFiles(join(input.silverDir, contract.name));
    if (files.length > 0) {
      await c.run(
        `CREATE OR REPLACE VIEW ${table} AS SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true, hive_types = {'${PARTITION_COLUMN}': VARCHAR})`,
      );
    } else {
      // A dataset without files yet: an empty view with the silver columns, so queries and Gold still run.
      const columns = [
        ...contract.properties.map((p) => `CAST(NULL AS ${p.type.duckdbType}) AS ${sqlIdent(p.name)}`),
        ...LINEAGE_COLUMNS.map((l) => `CAST(NULL AS ${l.duckdbType}) AS ${sqlIdent(l.name)}`),
        `CAST(NULL AS VARCHAR) AS ${sqlIdent(PARTITION_COLUMN)}`,
      ];
      await c.run(`CREATE OR REPLACE VIEW ${table} AS SELECT ${columns.join(', ')} WHERE false`);
    }
  }
  await registerJsonTable(c, `${sqlIdent(ops)}.manifests`, input.manifestsDir, '.json', MANIFEST_COLUMNS);
  if (input.operationsDir) {
    await registerJsonTable(c, `${sqlIdent(ops)}.runs`, join(input.operationsDir, RUNS_PREFIX.slice(OPERATIONS_PREFIX.length)), '.json', RUN_COLUMNS);
    await registerJsonTable(c, `${sqlIdent(ops)}.quality_results`, join(input.operationsDir, QUALITY_RESULTS_PREFIX.slice(OPERATIONS_PREFIX.length)), '.jsonl', QUALITY_RESULT_COLUMNS);
  }
}

/** An operations table (JSON lines, as the Glue JSON SerDe reads them) over the files of a folder; empty and typed without any. */
async function registerJsonTable(c: DuckDBConnection, table: string, dir: string, extension: string, columns: readonly (readonly [string, string])[]): Promise<void> {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(extension)) : [];
  if (files.length > 0) {
    const types = columns.map(([name, type]) => `${sqlString(name)}: ${sqlString(duckdbType(type))}`).join(', ');
    await c.run(`CREATE OR REPLACE VIEW ${table} AS SELECT * FROM read_json(${sqlString(join(dir, `*${extension}`))}, format = 'newline_delimited', columns = {${types}})`);
  } else {
    await c.run(`CREATE OR REPLACE VIEW ${table} AS SELECT ${columns.map(([n, t]) => `CAST(NULL AS ${duckdbType(t)}) AS ${sqlIdent(n)}`).join(', ')} WHERE false`);
  }
}

/**
 * First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection): `=`, `+`, `-`,
 * `@`, tab and carriage return.
 */
export const CSV_FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

/**
 * The select list of a CSV export of `relation`: text cells (VARCHAR and JSON columns) that start with a
 * formula trigger get a leading `'`, so that a spreadsheet shows them as text instead of evaluating them;
 * every other column — numbers (a negative number stays a number), booleans, dates, timestamps — and NULL
 * are written unchanged. The Parquet output keeps the values as they are.
 */
export async function csvSafeSelect(c: DuckDBConnection, relation: string): Promise<string> {
  const columns = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjectsJson();
  const triggers = CSV_FORMULA_TRIGGERS.map((t) => (t === '\t' ? 'chr(9)' : t === '\r' ? 'chr(13)' : sqlString(t))).join(', ');
  return columns
    .map(({ column_name, column_type }) => {
      const name = sqlIdent(String(column_name));
      const type = String(column_type);
      if (type !== 'VARCHAR' && type !== 'JSON') return `t.${name}`;
      const text = `CAST(t.${name} AS VARCHAR)`;
      return `CASE WHEN left(${text}, 1) IN (${triggers}) THEN '''' || ${text} ELSE ${text} END AS ${name}`;
    })
    .join(', ');
}

/**
 * Builds the Gold datasets locally (every one unless `datasets` says which) from the very SQL text deployed
 * to Athena, on DuckDB with the Trino compatibility layer, and writes `<dataset>.csv` (text cells
 * neutralised against CSV injection, see `csvSafeSelect`) and `<dataset>.parquet`.
 */
export async function buildGold(input: GoldBuildInput): Promise<GoldOutput[]> {
  const db = await DuckDBInstance.create(':memory:', input.memoryLimit ? { memory_limit: input.memoryLimit } : {});
  const c = await db.connect();
  try {
    for (const statement of trinoCompatSql()) await c.run(statement);
    await registerSources(c, input);
    mkdirSync(input.outDir, { recursive: true });
    const databases = { silver: sqlIdent(input.databases.silver), gold: sqlIdent(input.databases.gold), ops: sqlIdent(input.databases.ops) };
    // Each dataset's as-of: the given date, or the latest event date of the silver data it is built from.
    const variables = (dataset: GoldDataset) => ({ ...databases, as_of: datasetAsOfExpression(dataset, databases.silver, input.asOf) });
    const outputs: GoldOutput[] = [];
    for (const dataset of goldDatasets()) {
      const view = `${databases.gold}.${sqlIdent(dataset)}`;
      await c.run(`CREATE OR REPLACE VIEW ${view} AS ${renderGoldSql(goldSqlText(dataset), variables(dataset))}`);
      if (input.datasets && !input.datasets.includes(dataset)) continue;
      const csv = join(input.outDir, `${dataset}.csv`);
      // Rows in the order of their values (ORDER BY ALL of the view), cells neutralised for spreadsheets.
      const order = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${view}`)).getRowObjectsJson().map((r) => `t.${sqlIdent(String(r.column_name))}`);
      await c.run(
        `COPY (SELECT ${await csvSafeSelect(c, view)} FROM ${view} AS t ORDER BY ${order.join(', ')}) TO ${sqlString(csv)} (FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')`,
      );
      await c.run(`COPY (SELECT * FROM ${view} ORDER BY ALL) TO ${sqlString(join(input.outDir, `${dataset}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
      const rows = Number((await c.runAndReadAll(`SELECT count(*) FROM ${view}`)).getRows()[0][0]);
      outputs.push({ dataset, rows, path: csv });
    }
    return outputs;
  } finally {
    c.closeSync();
  }
}

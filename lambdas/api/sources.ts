import type { GoldContract } from '../shared/contracts';
import { MANIFEST_COLUMNS } from '../shared/manifest';
import { QUALITY_RESULT_COLUMNS, RUN_COLUMNS as RUN_RECORD_COLUMNS } from '../shared/quality';
import type { QueryColumn, QuerySource } from './query-plan';

/**
 * What each read route queries. Gold datasets read either the materialized `<dataset>_published` table
 * (its latest `as_of` partition; the deployed default) or the Gold view of the same name (the local
 * platform, which has no materialized builds).
 */
export type GoldReadFrom = 'published' | 'views';

export interface SourceDatabases {
  readonly gold: string;
  readonly ops: string;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function goldColumns(contract: GoldContract): QueryColumn[] {
  return contract.properties.map((p) => ({ name: p.name, logicalType: p.type.logicalType, physicalType: p.type.physicalType, description: p.description }));
}

export function goldSource(contract: GoldContract, databases: SourceDatabases, readFrom: GoldReadFrom): QuerySource {
  const columns = goldColumns(contract);
  if (readFrom === 'views') return { name: contract.name, from: `${q(databases.gold)}.${q(contract.name)}`, columns, filterable: true };
  const table = `${q(databases.gold)}.${q(`${contract.name}_published`)}`;
  return { name: contract.name, from: table, where: `"as_of" = (SELECT max("as_of") FROM ${table})`, columns, filterable: true };
}

const LOGICAL_TYPES: Readonly<Record<string, string>> = { string: 'string', int: 'integer', bigint: 'integer', double: 'number' };

/** The scalar columns of an operations table (arrays, maps and structs stay out of the API). */
function scalarColumns(columns: readonly (readonly [string, string])[]): QueryColumn[] {
  return columns.filter(([, type]) => type in LOGICAL_TYPES).map(([name, type]) => ({ name, logicalType: LOGICAL_TYPES[type], physicalType: type }));
}

export const RUN_COLUMNS: readonly QueryColumn[] = scalarColumns(RUN_RECORD_COLUMNS);
export const QUALITY_COLUMNS: readonly QueryColumn[] = scalarColumns(QUALITY_RESULT_COLUMNS);

/** Scalar columns of the run manifests. */
export const FILE_COLUMNS: readonly QueryColumn[] = scalarColumns(MANIFEST_COLUMNS);

/** `GET /v1/files`: the source objects the transform processed (`<ops>.manifests`), newest first. */
export function filesSource(databases: SourceDatabases): QuerySource {
  return { name: 'files', from: `${q(databases.ops)}.manifests`, columns: FILE_COLUMNS, filterable: true, defaultOrder: ['-processed_at'], reuseResults: false };
}

/** `GET /v1/runs`: the gold-build executions of `<ops>.runs` (written by the orchestration), newest first. */
export function runsSource(databases: SourceDatabases): QuerySource {
  return { name: 'runs', from: `${q(databases.ops)}.runs`, columns: RUN_COLUMNS, filterable: true, defaultOrder: ['-started_at', 'execution'], reuseResults: false };
}

/** `GET /v1/quality`: one row per quality check of every gold-build execution (`<ops>.quality_results`), newest first. */
export function qualitySource(databases: SourceDatabases): QuerySource {
  return { name: 'quality', from: `${q(databases.ops)}.quality_results`, columns: QUALITY_COLUMNS, filterable: true, defaultOrder: ['-checked_at', 'id'], reuseResults: false };
}

/** Athena's (Trino) and the local DuckDB's way of saying that a table does not exist. */
export const TABLE_NOT_FOUND = /TABLE_NOT_FOUND|Table with name \S+ does not exist|Table .* (does not exist|not found)/i;

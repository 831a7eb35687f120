import type { GoldContract } from '../shared/contracts';
import { MANIFEST_COLUMNS } from '../shared/manifest';
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

/** Scalar columns of the run manifests (maps and arrays stay out of the API). */
export const RUN_COLUMNS: readonly QueryColumn[] = MANIFEST_COLUMNS.filter(([, type]) => type === 'string' || type === 'bigint').map(([name, type]) => ({
  name,
  logicalType: type === 'bigint' ? 'integer' : 'string',
  physicalType: type,
}));

/**
 * `GET /v1/runs`: until the orchestration's `<ops>.runs` table exists on this branch, the file runs of
 * `<ops>.manifests` (one per processed source object), newest first.
 */
export function runsSource(databases: SourceDatabases): QuerySource {
  return { name: 'runs', from: `${q(databases.ops)}.manifests`, columns: RUN_COLUMNS, filterable: true, defaultOrder: ['-processed_at'] };
}

/** `GET /v1/quality`: every column of `<ops>.quality_results`, whose shape the orchestration defines. */
export function qualitySource(databases: SourceDatabases): QuerySource {
  return { name: 'quality', from: `${q(databases.ops)}.quality_results`, columns: [], filterable: false };
}

/** Athena's (Trino) and the local DuckDB's way of saying that a table does not exist. */
export const TABLE_NOT_FOUND = /TABLE_NOT_FOUND|Table with name \S+ does not exist|Table .* (does not exist|not found)/i;

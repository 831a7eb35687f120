import { randomBytes } from 'node:crypto';
import { GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { BatchCreatePartitionCommand, EntityNotFoundException, GetPartitionCommand, GetTableCommand, UpdatePartitionCommand, type GlueClient } from '@aws-sdk/client-glue';
import { goldSqlText, renderGoldSql } from '../shared/gold';
import { datasetAsOfExpression } from '../shared/quality';

export interface GoldBuildSettings {
  readonly goldBucket: string;
  readonly databases: { readonly silver: string; readonly gold: string; readonly ops: string };
  readonly workGroup: string;
  /** Folder of sql/ (bundled with the function). */
  readonly sqlDir?: string;
  /** Folder of the contracts (bundled with the function): the Gold contracts' asOfSource and the sources' event-time columns. */
  readonly contractsDir?: string;
  /** Poll interval while Athena runs a query. */
  readonly pollMs?: number;
}

export interface GoldBuildDeps {
  readonly athena: AthenaClient;
  readonly glue: GlueClient;
  readonly settings: GoldBuildSettings;
  readonly now?: () => Date;
}

export interface GoldBuildResult {
  readonly dataset: string;
  readonly asOf: string;
  readonly buildId: string;
  /** S3 prefix holding the build's Parquet files, now the location of the published partition. */
  readonly location: string;
  /** The location readers saw before this build (undefined on the first build of that as-of date). */
  readonly previousLocation?: string;
}

/** Name of the Glue table a Gold dataset is published to, partitioned by `as_of`. */
export const publishedTableName = (dataset: string): string => `${dataset}_published`;

async function runQuery(deps: GoldBuildDeps, query: string): Promise<string> {
  const { QueryExecutionId } = await deps.athena.send(
    new StartQueryExecutionCommand({ QueryString: query, WorkGroup: deps.settings.workGroup, QueryExecutionContext: { Database: deps.settings.databases.gold } }),
  );
  for (;;) {
    const out = await deps.athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const state = out.QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') return QueryExecutionId!;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new Error(`Athena query ${QueryExecutionId} ${state.toLowerCase()}: ${out.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
    }
    await new Promise((r) => setTimeout(r, deps.settings.pollMs ?? 1000));
  }
}

/** The default as-of date of a dataset: the latest event date of the silver data it is built from (see as-of.ts). */
async function latestAsOf(deps: GoldBuildDeps, dataset: string): Promise<string> {
  const latest = datasetAsOfExpression(dataset, deps.settings.databases.silver, undefined, deps.settings);
  const id = await runQuery(deps, `SELECT CAST(${latest} AS VARCHAR)`);
  const out = await deps.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
  const value = out.ResultSet?.Rows?.[1]?.Data?.[0]?.VarCharValue;
  if (!value) throw new Error(`no as-of date given and the silver data ${dataset} is built from is empty: nothing to build`);
  return value;
}

/**
 * Builds one Gold dataset for an as-of date and publishes it atomically: the query result is unloaded as
 * zstd Parquet to a new build prefix, then the `as_of` partition of `<dataset>_published` is switched to
 * that prefix in one Glue call. Readers see the previous complete build or the new complete build, never
 * a partial one; re-running a build publishes an identical copy.
 */
export async function buildGoldDataset(request: { dataset: string; asOf?: string }, deps: GoldBuildDeps): Promise<GoldBuildResult> {
  const { settings } = deps;
  if (request.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(request.asOf)) throw new Error(`asOf must be YYYY-MM-DD, got '${request.asOf}'`);
  const asOf = request.asOf ?? (await latestAsOf(deps, request.dataset));
  const now = (deps.now ?? (() => new Date()))();
  const buildId = `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
  const location = `s3://${settings.goldBucket}/${request.dataset}/as_of=${asOf}/build=${buildId}/`;
  const select = renderGoldSql(goldSqlText(request.dataset, settings.sqlDir), { ...settings.databases, as_of: datasetAsOfExpression(request.dataset, settings.databases.silver, asOf) });
  await runQuery(deps, `UNLOAD (${select}) TO '${location}' WITH (format = 'PARQUET', compression = 'ZSTD')`);

  const table = publishedTableName(request.dataset);
  const { Table } = await deps.glue.send(new GetTableCommand({ DatabaseName: settings.databases.gold, Name: table }));
  const storage = { ...Table!.StorageDescriptor!, Location: location };
  let previousLocation: string | undefined;
  try {
    const { Partition } = await deps.glue.send(new GetPartitionCommand({ DatabaseName: settings.databases.gold, TableName: table, PartitionValues: [asOf] }));
    previousLocation = Partition?.StorageDescriptor?.Location;
    await deps.glue.send(
      new UpdatePartitionCommand({ DatabaseName: settings.databases.gold, TableName: table, PartitionValueList: [asOf], PartitionInput: { Values: [asOf], StorageDescriptor: storage } }),
    );
  } catch (e) {
    if (!(e instanceof EntityNotFoundException)) throw e;
    const out = await deps.glue.send(
      new BatchCreatePartitionCommand({ DatabaseName: settings.databases.gold, TableName: table, PartitionInputList: [{ Values: [asOf], StorageDescriptor: storage }] }),
    );
    if (out.Errors?.length) throw new Error(`could not publish ${table} as_of=${asOf}: ${out.Errors.map((x) => x.ErrorDetail?.ErrorMessage).join('; ')}`);
  }
  return { dataset: request.dataset, asOf, buildId, location, ...(previousLocation ? { previousLocation } : {}) };
}

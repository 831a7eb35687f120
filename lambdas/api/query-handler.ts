import { AthenaClient } from '@aws-sdk/client-athena';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { secretsClient } from '../shared/aws-clients';
import { loadContracts, loadGoldContracts, type DatasetContract, type GoldContract } from '../shared/contracts';
import { apiValue, QueryFailed, readRows, startQuery, waitForQuery, type AthenaSettings, type ResultPage } from './athena-query';
import { apiHandler, type ApiRequest } from './http';
import { openApiDocument } from './openapi';
import { jsonResponse, notFound, Problem } from './problem';
import { planQuery, type QuerySource } from './query-plan';
import { DEFAULT_LIMIT } from './routes';
import { filesSource, goldSource, qualitySource, runsSource, TABLE_NOT_FOUND, type GoldReadFrom, type SourceDatabases } from './sources';
import { decodeToken, encodeToken } from './token';

/** Settings of the query function, from its environment (see `querySettings`). */
export interface QuerySettings {
  readonly athena: AthenaSettings;
  readonly databases: SourceDatabases;
  readonly goldReadFrom: GoldReadFrom;
  /** How long a request waits for Athena before answering 504 with a queryId. */
  readonly timeoutMs: number;
}

/**
 * The environment: WORKGROUP, GOLD_DATABASE, OPS_DATABASE, GOLD_READ_FROM (`published` | `views`,
 * default published), RESULT_REUSE_MINUTES (default 60, 0 = off), QUERY_TIMEOUT_MS (default 20000, under
 * API Gateway's 29 s), ATHENA_POLL_MS (default 200).
 * Read at every request, so that the local platform and the benchmark can change them between requests.
 */
export function querySettings(env: NodeJS.ProcessEnv = process.env): QuerySettings {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`environment variable ${name} is not set; the API stack sets it on the query function`);
    return v;
  };
  const readFrom = env.GOLD_READ_FROM ?? 'published';
  if (readFrom !== 'published' && readFrom !== 'views') throw new Error(`GOLD_READ_FROM must be 'published' or 'views', got '${readFrom}'`);
  const gold = need('GOLD_DATABASE');
  return {
    athena: { workGroup: need('WORKGROUP'), database: gold, resultReuseMinutes: Number(env.RESULT_REUSE_MINUTES ?? 60), pollMs: Number(env.ATHENA_POLL_MS ?? 200) },
    databases: { gold, ops: need('OPS_DATABASE') },
    goldReadFrom: readFrom,
    timeoutMs: Number(env.QUERY_TIMEOUT_MS ?? 20_000),
  };
}

let tokenKey: Promise<Buffer> | undefined;

/**
 * The key signing nextTokens and queryIds: the Secrets Manager secret `TOKEN_KEY_SECRET_ID` (deployed),
 * or `TOKEN_KEY` (hex, the local platform). Read once per container.
 */
export function apiTokenKey(): Promise<Buffer> {
  tokenKey ??= (async () => {
    if (process.env.TOKEN_KEY) return Buffer.from(process.env.TOKEN_KEY, 'hex');
    const id = process.env.TOKEN_KEY_SECRET_ID;
    if (!id) throw new Error('neither TOKEN_KEY_SECRET_ID nor TOKEN_KEY is set: the query function cannot sign page tokens');
    const out = await secretsClient().send(new GetSecretValueCommand({ SecretId: id }));
    return Buffer.from(out.SecretString!, 'utf8');
  })().catch((e: unknown) => {
    tokenKey = undefined;
    throw e;
  });
  return tokenKey;
}

let athena: AthenaClient | undefined;
let contracts: { gold: GoldContract[]; sources: DatasetContract[] } | undefined;
const athenaClient = () => (athena ??= new AthenaClient({ maxAttempts: 3 }));
const loaded = () => (contracts ??= { gold: loadGoldContracts(), sources: loadContracts() });

function rowsPage(page: ResultPage, columns: readonly { name: string; type: string }[] | undefined, nextToken: string | null) {
  const info = page.columns.map((c) => ({ name: c.Name!, type: c.Type!, precision: c.Precision, scale: c.Scale }));
  return {
    columns: columns ?? info.map((c) => ({ name: c.name, type: c.type === 'decimal' ? `decimal(${c.precision},${c.scale})` : c.type })),
    rows: page.rows.map((row) => Object.fromEntries(info.map((c, i) => [c.name, apiValue(c.type, row[i])]))),
    nextToken,
  };
}

function queryFailed(e: QueryFailed): Problem {
  return new Problem(502, 'query-failed', 'Bad gateway', `Athena query ${e.queryExecutionId} failed: ${e.reason}`, { queryExecutionId: e.queryExecutionId });
}

/** One page of a source: runs the query (or continues the one of `nextToken`), 504 when it outlives the timeout. */
async function queryPage(request: ApiRequest, source: QuerySource, settings: QuerySettings, emptyWhenMissing = false): Promise<APIGatewayProxyResult> {
  const key = await apiTokenKey();
  const plan = planQuery(source, request.query);
  const columns = source.columns.length > 0 ? source.columns.map((c) => ({ name: c.name, type: c.physicalType })) : undefined;
  const client = athenaClient();
  let id: string;
  let athenaToken: string | undefined;
  const raw = request.query.nextToken?.[0];
  if (raw) {
    const token = decodeToken(key, raw, plan.fingerprint, 'nextToken');
    id = token.q;
    athenaToken = token.t;
  } else {
    id = await startQuery(client, source.reuseResults === false ? { ...settings.athena, resultReuseMinutes: 0 } : settings.athena, plan.sql, plan.parameters);
  }
  try {
    const state = await waitForQuery(client, settings.athena, id, Date.now() + settings.timeoutMs);
    if (state === 'RUNNING') {
      const queryId = encodeToken(key, { q: id, f: 'query' });
      throw new Problem(504, 'query-timeout', 'Gateway timeout', `the query is still running after ${settings.timeoutMs} ms; GET resultUrl until it answers 200`, {
        queryId,
        resultUrl: `/v1/queries/${queryId}`,
      });
    }
    const page = await readRows(client, id, plan.limit, athenaToken);
    const next = page.next ? encodeToken(key, { q: id, t: page.next, f: plan.fingerprint }) : null;
    return jsonResponse(200, rowsPage(page, columns, next));
  } catch (e) {
    if (e instanceof QueryFailed) {
      if (emptyWhenMissing && TABLE_NOT_FOUND.test(e.reason)) return jsonResponse(200, { columns: [], rows: [], nextToken: null });
      throw queryFailed(e);
    }
    throw e;
  }
}

/** `GET /v1/queries/{queryId}`: the result of a query that outlived the timeout, once it is done. */
async function queryResult(request: ApiRequest, settings: QuerySettings): Promise<APIGatewayProxyResult> {
  const key = await apiTokenKey();
  const handle = decodeToken(key, request.pathParameters.queryId, 'query', 'queryId');
  const fingerprint = `query:${handle.q}`;
  const raw = request.query.nextToken?.[0];
  const athenaToken = raw ? decodeToken(key, raw, fingerprint, 'nextToken').t : undefined;
  const limit = request.query.limit ? Number(request.query.limit[0]) : DEFAULT_LIMIT;
  if (!(limit >= 1 && limit <= 1000)) throw new Problem(400, 'invalid-parameter', 'Bad request', `limit must be a whole number from 1 to 1000, got ${request.query.limit![0]}`);
  const client = athenaClient();
  try {
    const state = await waitForQuery(client, settings.athena, handle.q, Date.now() + Math.min(settings.timeoutMs, 1000));
    if (state === 'RUNNING') return jsonResponse(202, { queryId: request.pathParameters.queryId, status: 'RUNNING', resultUrl: request.path }, { 'retry-after': '2' });
    const page = await readRows(client, handle.q, limit, athenaToken);
    return jsonResponse(200, rowsPage(page, undefined, page.next ? encodeToken(key, { q: handle.q, t: page.next, f: fingerprint }) : null));
  } catch (e) {
    if (e instanceof QueryFailed) throw queryFailed(e);
    throw e;
  }
}

export async function routeQuery(request: ApiRequest): Promise<APIGatewayProxyResult> {
  const { gold, sources } = loaded();
  switch (request.route.operationId) {
    case 'getOpenApi':
      return jsonResponse(200, openApiDocument(gold, sources));
    case 'listDatasets':
      return jsonResponse(200, {
        datasets: gold.map((c) => ({
          name: c.name,
          description: c.description,
          rowsUrl: `/v1/datasets/${c.name}/rows`,
          columns: c.properties.map((p) => ({ name: p.name, type: p.type.physicalType, logicalType: p.type.logicalType, required: p.required, description: p.description })),
        })),
      });
    case 'queryRows': {
      const settings = querySettings();
      const contract = gold.find((c) => c.name === request.pathParameters.name);
      if (!contract) throw notFound('unknown-dataset', `no Gold dataset '${request.pathParameters.name}'; datasets: ${gold.map((c) => c.name).join(', ')}`);
      return queryPage(request, goldSource(contract, settings.databases, settings.goldReadFrom), settings);
    }
    case 'listFiles': {
      const settings = querySettings();
      return queryPage(request, filesSource(settings.databases), settings);
    }
    case 'listRuns': {
      const settings = querySettings();
      return queryPage(request, runsSource(settings.databases), settings, true);
    }
    case 'listQualityResults': {
      const settings = querySettings();
      return queryPage(request, qualitySource(settings.databases), settings, true);
    }
    case 'getQuery':
      return queryResult(request, querySettings());
    default:
      throw new Error(`the query function has no implementation for ${request.route.operationId}`);
  }
}

/** The query function: GET routes (datasets, rows, runs, quality, queries, openapi.json). */
export const handler = apiHandler('query', routeQuery);

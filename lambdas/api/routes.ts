import type { SchemaObject } from 'openapi3-ts/oas30';
import { badRequest, Problem } from './problem';

/**
 * The HTTP API's routes, in ONE place: the handlers route and validate requests with this table, the
 * OpenAPI document is generated from it (`openapi/openapi.json`), and the CDK stack creates the API
 * Gateway resources, methods and request validation from it.
 */

/** Which Lambda function serves a route: the query function (Athena, read-only) or the ingest function (writes bronze). */
export type RouteFunction = 'query' | 'ingest';

export interface RouteParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: SchemaObject;
  /** A pattern the value must match (also in `schema.pattern`); checked by the handler before anything else. */
  readonly pattern?: RegExp;
}

export interface RouteBody {
  readonly description: string;
  /** Media types accepted; the dataset's contract picks the one that applies. */
  readonly contentTypes: readonly string[];
  readonly required: boolean;
}

export interface RouteResponse {
  readonly description: string;
  /** Name of a schema of the OpenAPI components, or `Problem`. */
  readonly schema: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path template with `{name}` segments, e.g. `/v1/datasets/{name}/rows`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly function: RouteFunction;
  readonly parameters: readonly RouteParameter[];
  /** Query parameters besides `parameters` are column filters (`GET /v1/datasets/{name}/rows`); elsewhere they are refused. */
  readonly columnFilters?: boolean;
  readonly body?: RouteBody;
  readonly responses: Readonly<Record<string, RouteResponse>>;
}

const NAME = /^[a-z][a-z0-9_]{0,127}$/;
const name = (description: string): RouteParameter => ({
  name: 'name',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: NAME.source },
  pattern: NAME,
});
const dataset = (description: string): RouteParameter => ({ ...name(description), name: 'dataset' });

/** Largest `limit`; Athena's GetQueryResults returns at most 1000 rows per call. */
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

const LIMIT: RouteParameter = {
  name: 'limit',
  in: 'query',
  required: false,
  description: `Rows per page, 1-${MAX_LIMIT}.`,
  schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  pattern: /^\d{1,4}$/,
};
const NEXT_TOKEN: RouteParameter = {
  name: 'nextToken',
  in: 'query',
  required: false,
  description: 'Opaque token of the next page, from the previous response; send it with the same other parameters.',
  schema: { type: 'string' },
  pattern: /^[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{43}$/,
};
const ORDER_BY: RouteParameter = {
  name: 'orderBy',
  in: 'query',
  required: false,
  description: 'Comma-separated columns of the dataset; a leading `-` sorts descending (`-date,currency`). Ties are broken by the remaining columns in contract order.',
  schema: { type: 'string' },
};

const errors = (...statuses: string[]): Record<string, RouteResponse> =>
  Object.fromEntries(statuses.map((s) => [s, { description: PROBLEM_DESCRIPTIONS[s], schema: 'Problem' }]));

const PROBLEM_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid request: unknown column or operator, bad value, bad token; ingest: body not UTF-8 or not gzip, unparseable record (problem+json)',
  '404': 'Unknown dataset or route (problem+json)',
  '413': 'Body larger than the ingest limit; use POST /v1/uploads/{dataset} (problem+json)',
  '415': 'Content-Type does not match the dataset contract’s format, or a Content-Encoding other than gzip (problem+json)',
  '429': 'Throttled: stage rate, burst or quota exceeded, or Athena is busy (problem+json)',
  '502': 'The query failed in Athena (problem+json)',
  '504': 'The query outlived the API timeout; fetch its result later at resultUrl (problem+json)',
};

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/datasets',
    operationId: 'listDatasets',
    summary: 'List the Gold datasets',
    description: 'Every Gold dataset with its description and columns, from its data contract (contracts/gold/).',
    function: 'query',
    parameters: [],
    responses: { '200': { description: 'The Gold datasets', schema: 'DatasetList' }, ...errors('400', '429') },
  },
  {
    method: 'GET',
    path: '/v1/datasets/{name}/rows',
    operationId: 'queryRows',
    summary: 'Query the rows of a Gold dataset',
    description:
      'Filters are query parameters named after contract columns: `col=value` (equality), `col=in:a,b,c`, `col=ne:value`, and ranges `col=gt:…`, `gte:`, `lt:`, `lte:` on integer, number, date and timestamp columns; repeat a parameter to combine (AND). Values are typed per the contract and sent to Athena as ExecutionParameters. Results of repeated queries are reused by Athena.',
    function: 'query',
    parameters: [name('Gold dataset name (GET /v1/datasets lists them).'), LIMIT, ORDER_BY, NEXT_TOKEN],
    columnFilters: true,
    responses: { '200': { description: 'One page of rows', schema: 'RowsPage' }, ...errors('400', '404', '429', '502', '504') },
  },
  {
    method: 'GET',
    path: '/v1/queries/{queryId}',
    operationId: 'getQuery',
    summary: 'Fetch the result of a query that outlived the API timeout',
    description: 'The `queryId` of a 504 response. 202 while the query runs, then pages of rows as GET /v1/datasets/{name}/rows returns them.',
    function: 'query',
    parameters: [
      { name: 'queryId', in: 'path', required: true, description: 'The queryId of a 504 problem.', schema: { type: 'string' }, pattern: /^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{43}$/ },
      LIMIT,
      NEXT_TOKEN,
    ],
    responses: { '200': { description: 'One page of rows', schema: 'RowsPage' }, '202': { description: 'Still running', schema: 'QueryStatus' }, ...errors('400', '429', '502') },
  },
  {
    method: 'GET',
    path: '/v1/runs',
    operationId: 'listRuns',
    summary: 'Recent pipeline runs',
    description:
      'One row per gold-build execution (`<ops>.runs`, written by the orchestration): status, request, checks failed and warned, message, error; newest first. Filters as for rows, on these columns. Per source file results are the Gold dataset data_quality_history.',
    function: 'query',
    parameters: [LIMIT, ORDER_BY, NEXT_TOKEN],
    columnFilters: true,
    responses: { '200': { description: 'One page of runs', schema: 'RowsPage' }, ...errors('400', '429', '502', '504') },
  },
  {
    method: 'GET',
    path: '/v1/files',
    operationId: 'listFiles',
    summary: 'Recently processed source files',
    description:
      'One row per source object processed by the transform (the run manifests, `<ops>.manifests`): dataset, key, status (ingested, quarantined, duplicate, rejected), row counts, error; newest first. Filters as for rows, on these columns.',
    function: 'query',
    parameters: [LIMIT, ORDER_BY, NEXT_TOKEN],
    columnFilters: true,
    responses: { '200': { description: 'One page of processed files', schema: 'RowsPage' }, ...errors('400', '429', '502', '504') },
  },
  {
    method: 'GET',
    path: '/v1/quality',
    operationId: 'listQualityResults',
    summary: 'Recent quality results',
    description:
      'One row per quality check of every gold-build execution (`<ops>.quality_results`): dataset, check, kind, severity, status (pass, warn, fail), value, unit, threshold; newest first. Filters as for rows, on these columns; an empty list while the table does not exist.',
    function: 'query',
    parameters: [LIMIT, ORDER_BY, NEXT_TOKEN],
    columnFilters: true,
    responses: { '200': { description: 'One page of quality results', schema: 'RowsPage' }, ...errors('400', '429', '502', '504') },
  },
  {
    method: 'POST',
    path: '/v1/ingest/{dataset}',
    operationId: 'ingest',
    summary: 'Ingest a batch into bronze',
    description:
      'The body is stored byte for byte as a new bronze object `<dataset>/api/<date>/<uuid>.<ext>` and flows through the normal pipeline. Its format is the contract’s: NDJSON (`application/x-ndjson`), a JSON array (`application/json`) or CSV with the contract’s header (`text/csv`), in UTF-8; with `Content-Encoding: gzip` the body is gzip of that, checked decompressed and stored compressed (`<ext>.gz`). A body that is not UTF-8 is refused (400 `invalid-encoding` with the byte offset), never repaired. Larger than the limit: use POST /v1/uploads/{dataset}.',
    function: 'ingest',
    parameters: [dataset('Source dataset (a contract in contracts/).')],
    body: { description: 'Records in the dataset’s format, UTF-8 (or gzip of it with Content-Encoding: gzip)', contentTypes: ['application/x-ndjson', 'application/json', 'text/csv'], required: true },
    responses: { '202': { description: 'Stored in bronze', schema: 'IngestAccepted' }, ...errors('400', '404', '413', '415', '429') },
  },
  {
    method: 'POST',
    path: '/v1/uploads/{dataset}',
    operationId: 'createUpload',
    summary: 'A presigned S3 PUT URL into bronze for a large file',
    description: 'PUT the file to `url` within `expiresInSeconds`; it lands at `key` and flows through the normal pipeline. `gzip=true` for a gzip-compressed file.',
    function: 'ingest',
    parameters: [
      dataset('Source dataset (a contract in contracts/).'),
      { name: 'gzip', in: 'query', required: false, description: 'The file is gzip-compressed (key ends in .gz).', schema: { type: 'boolean', default: false }, pattern: /^(true|false)$/ },
    ],
    responses: { '200': { description: 'Where to PUT the file', schema: 'Upload' }, ...errors('400', '404', '429') },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API’s OpenAPI 3 document',
    description: 'Generated from the same route table as the handlers and the API Gateway resources.',
    function: 'query',
    parameters: [],
    responses: { '200': { description: 'OpenAPI 3.0 document', schema: 'OpenApiDocument' }, ...errors('429') },
  },
];

/**
 * Media types API Gateway passes to the functions as binary (base64, `isBase64Encoded`): the ingest body
 * types, so that the body the ingest function checks and stores is byte for byte what the client sent
 * (invalid UTF-8 is refused, not replaced; gzip bodies are not mangled as text).
 */
export const BINARY_MEDIA_TYPES: readonly string[] = [...new Set(ROUTES.flatMap((r) => r.body?.contentTypes ?? []))];

export interface MatchedRoute {
  readonly route: Route;
  readonly pathParameters: Readonly<Record<string, string>>;
}

const segments = (path: string) => path.replace(/^\/+|\/+$/g, '').split('/');

/**
 * The route of a method and path, with its path parameters, or a 404/405 problem.
 * @throws Problem
 */
export function matchRoute(method: string, path: string): MatchedRoute {
  const actual = segments(path);
  const candidates: MatchedRoute[] = [];
  for (const route of ROUTES) {
    const template = segments(route.path);
    if (template.length !== actual.length) continue;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    const ok = template.every((t, i) => {
      const m = /^\{(\w+)\}$/.exec(t);
      if (m) return actual[i] !== '' && (params[m[1]] = decodeURIComponent(actual[i])) !== undefined;
      return t === actual[i];
    });
    if (ok) candidates.push({ route, pathParameters: params });
  }
  const match = candidates.find((c) => c.route.method === method.toUpperCase());
  if (match) return match;
  if (candidates.length > 0) {
    const allowed = candidates.map((c) => c.route.method);
    throw new Problem(405, 'method-not-allowed', 'Method not allowed', `${path} accepts ${allowed.join(', ')}, not ${method.toUpperCase()}`, {}, { allow: allowed.join(', ') });
  }
  throw new Problem(404, 'unknown-route', 'Not found', `no route ${method.toUpperCase()} ${path}; routes: ${ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`);
}

/** Query parameters as API Gateway passes them: every value of a repeated parameter. */
export type QueryParameters = Readonly<Record<string, readonly string[]>>;

/**
 * Checks path and declared query parameters against the route (presence, patterns, no repeats) and
 * refuses undeclared query parameters on routes without column filters.
 * @throws Problem (400)
 */
export function validateRequest(matched: MatchedRoute, query: QueryParameters): void {
  const { route, pathParameters } = matched;
  for (const p of route.parameters) {
    const values = p.in === 'path' ? (Object.hasOwn(pathParameters, p.name) ? [pathParameters[p.name]] : []) : Object.hasOwn(query, p.name) ? query[p.name] : [];
    if (values.length === 0) {
      if (p.required) throw badRequest('missing-parameter', `${p.in} parameter '${p.name}' is required: ${p.description}`);
      continue;
    }
    if (values.length > 1) throw badRequest('repeated-parameter', `query parameter '${p.name}' is given ${values.length} times; give it once`);
    if (p.pattern && !p.pattern.test(values[0])) {
      throw badRequest('invalid-parameter', `${p.in} parameter '${p.name}' has an invalid value ${JSON.stringify(values[0])}: ${p.description}`);
    }
  }
  if (!route.columnFilters) {
    const declared = new Set(route.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    const unknown = Object.keys(query).filter((k) => !declared.has(k));
    if (unknown.length > 0) {
      throw badRequest('unknown-parameter', `unknown query parameter(s) ${unknown.map((u) => `'${u}'`).join(', ')} for ${route.method} ${route.path}; accepted: ${[...declared].join(', ') || 'none'}`);
    }
  }
}

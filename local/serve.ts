import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { problemResponse, Problem } from '../lambdas/api/problem';
import { BINARY_MEDIA_TYPES, matchRoute, ROUTES } from '../lambdas/api/routes';
import { goldDatasets, goldSqlText, renderGoldSql } from '../lambdas/shared/gold';
import { datasetAsOfExpression } from '../lambdas/shared/quality';
import { glueDatabaseName, resourceName } from '../lib/naming';
import { startPlatformAthena } from './athena';
import type { LocalAthena } from './athena-server';
import type { LocalPlatform } from './platform';
import { loadTransformHandler } from './run';
import { pumpOnce } from './sqs-pump';

/** API Gateway's REST API payload limit; larger requests never reach a function. */
export const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

/** Longest request target (path and query string) the local server takes, as API Gateway's URL length quota: longer is a 414. */
export const MAX_URL_BYTES = 8192;

/** Largest request line plus headers, as API Gateway's quota on their combined size: larger is a 431. */
export const MAX_HEADER_BYTES = 10240;

/**
 * How much of request line and headers Node's parser buffers before it gives up: far above the limits, so
 * that they are checked with the exact sizes. Past it the `clientError` handler answers 431 and closes.
 */
export const PARSER_MAX_HEADER_BYTES = 1024 * 1024;

/** The 414 of a request target longer than `MAX_URL_BYTES`. */
export function uriTooLong(bytes: number): Problem {
  return new Problem(
    414,
    'uri-too-long',
    'URI too long',
    `the request target (path and query) has ${bytes} bytes; the API takes at most ${MAX_URL_BYTES} (API Gateway's limit): send fewer or shorter filters`,
    { maxBytes: MAX_URL_BYTES },
  );
}

/** The 431 of request line and headers larger than `MAX_HEADER_BYTES`; `bytes` undefined when Node's parser gave up before the end. */
export function headersTooLarge(bytes: number | undefined): Problem {
  return new Problem(
    431,
    'headers-too-large',
    'Request header fields too large',
    `the request line and headers have ${bytes ?? `more than ${PARSER_MAX_HEADER_BYTES}`} bytes; the API takes at most ${MAX_HEADER_BYTES} (API Gateway's limit)`,
    { maxBytes: MAX_HEADER_BYTES },
  );
}

/** The 414 or 431 of a request past the limits, with the exact sizes, or undefined. */
function sizeProblem(req: IncomingMessage): Problem | undefined {
  const target = req.url ?? '/';
  if (target.length > MAX_URL_BYTES) return uriTooLong(target.length);
  // `METHOD SP target SP HTTP/x.y CRLF`, then `name: value CRLF` per header (Node keeps them as latin1 strings).
  let bytes = `${req.method} ${target} HTTP/${req.httpVersion}\r\n`.length;
  for (let i = 0; i < req.rawHeaders.length; i += 2) bytes += req.rawHeaders[i].length + 2 + req.rawHeaders[i + 1].length + 2;
  return bytes > MAX_HEADER_BYTES ? headersTooLarge(bytes) : undefined;
}

/** A problem written straight to a socket whose request Node could not parse; the connection is then closed. */
function rawProblemResponse(problem: Problem): string {
  const { statusCode, headers, body } = problemResponse(problem, '');
  const head = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.1 ${statusCode} ${problem.title}\r\n${head.join('')}\r\n${body}`;
}

export interface ServeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Stage throttling (requests per second and burst). @default the stage config's api settings */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Reports errors of the background transform pump. @default console.error */
  readonly onPumpError?: (error: Error) => void;
}

export interface ApiServer {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly athena: LocalAthena;
  /** Objects the background pump handed to the transform so far. */
  readonly pumped: () => number;
  close(): Promise<void>;
}

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The body API Gateway sends for a throttled request (gateway responses THROTTLED / QUOTA_EXCEEDED), as problem+json. */
export function throttledProblem(): Problem {
  return new Problem(429, 'throttled', 'Too many requests', 'the stage’s request rate or burst limit is exceeded; retry with exponential backoff', {}, { 'retry-after': '1' });
}

/** A token bucket with API Gateway's stage semantics: `rateLimit` tokens per second, at most `burstLimit`. */
function tokenBucket(rateLimit: number, burstLimit: number): () => boolean {
  let tokens = burstLimit;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burstLimit, tokens + ((now - last) / 1000) * rateLimit);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** An API Gateway REST proxy event (the shape Lambda receives) for an HTTP request. */
export function proxyEvent(req: IncomingMessage, url: URL, body: Buffer): APIGatewayProxyEvent {
  // Names come from the client: collected in Maps, turned into objects with Object.fromEntries (own data
  // properties), so that `__proto__`, `constructor`, `hasOwnProperty`… are plain names, never Object.prototype's.
  const multiQuery = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) multiQuery.set(k, [...(multiQuery.get(k) ?? []), v]);
  const multiHeaders = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) multiHeaders.set(req.rawHeaders[i], [...(multiHeaders.get(req.rawHeaders[i]) ?? []), req.rawHeaders[i + 1]]);
  const headers = Object.fromEntries([...multiHeaders].map(([k, v]) => [k, v[v.length - 1]]));
  const hasQuery = multiQuery.size > 0;
  const binary = BINARY_MEDIA_TYPES.includes((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase());
  const requestId = randomUUID();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(multiHeaders),
    queryStringParameters: hasQuery ? Object.fromEntries([...multiQuery].map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: hasQuery ? Object.fromEntries(multiQuery) : null,
    pathParameters: null,
    stageVariables: null,
    // As API Gateway with the API's binaryMediaTypes: those bodies base64-encoded, byte-exact; others as text.
    body: body.length ? body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary && body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      stage: 'local',
      requestId,
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      resourcePath: '/{proxy+}',
      resourceId: 'local',
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null } as APIGatewayProxyEvent['requestContext']['identity'],
      authorizer: null,
    },
  };
}

/** Creates the Gold views of sql/gold in the local Athena, in dependency order, as the gold stack does in AWS. */
export async function createGoldViews(platform: LocalPlatform, athena: AthenaClient): Promise<string[]> {
  const databases = { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') };
  const created: string[] = [];
  for (const dataset of goldDatasets()) {
    const sql = renderGoldSql(goldSqlText(dataset), { ...databases, as_of: datasetAsOfExpression(dataset, databases.silver, undefined) });
    const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: `CREATE OR REPLACE VIEW ${databases.gold}.${dataset} AS\n${sql}`, WorkGroup: resourceName(platform.config, 'analytics') }));
    for (;;) {
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`could not create Gold view ${dataset} in the local Athena: ${QueryExecution?.Status?.StateChangeReason}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    created.push(`${databases.gold}.${dataset}`);
  }
  return created;
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/**
 * `npm run local -- serve`: the HTTP API on 127.0.0.1. Each request becomes an API Gateway REST proxy
 * event for the function that serves its route (the same handlers as in AWS); their Athena calls go to
 * the local Athena (Gold views over silver), S3 calls to the emulator. Stage throttling, the payload limit
 * and CORS preflight are applied as API Gateway applies them. In the background the bronze notification
 * queue is pumped into the transform handler, so objects dropped into bronze by any S3 client are
 * processed.
 */
export async function startApiServer(platform: LocalPlatform, options: ServeOptions = {}): Promise<ApiServer> {
  const { config } = platform;
  const athena = await startPlatformAthena(platform);
  const athenaClient = new AthenaClient({ endpoint: athena.endpoint, region: platform.handlerEnv.AWS_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  let closing = false;
  let pumped = 0;
  let pump: Promise<void> = Promise.resolve();
  const server = createServer({ maxHeaderSize: PARSER_MAX_HEADER_BYTES });
  // Past the parser's buffer Node gives up on the request (it would answer a bare 431 and reset the
  // connection): answer 431 problem+json once, then read and drop what the client still sends, so that it
  // receives the answer instead of a reset.
  const answered = new WeakSet<object>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const problem =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? headersTooLarge(undefined)
        : new Problem(400, 'invalid-http', 'Bad request', `the request is not valid HTTP/1.1 (${error.code ?? error.message})`);
    socket.end(rawProblemResponse(problem));
    socket.resume();
    setTimeout(() => socket.destroy(), 5000).unref();
  });
  try {
    await createGoldViews(platform, athenaClient);
    const transform = await loadTransformHandler(platform);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
      WORKGROUP: resourceName(config, 'analytics'),
      GOLD_DATABASE: glueDatabaseName(config, 'gold'),
      OPS_DATABASE: glueDatabaseName(config, 'ops'),
      GOLD_READ_FROM: 'views',
      BRONZE_BUCKET: platform.buckets.bronze,
      RESULT_REUSE_MINUTES: String(config.api.resultReuseMinutes),
      QUERY_TIMEOUT_MS: String(config.api.queryTimeoutSeconds * 1000),
      ATHENA_POLL_MS: '5',
      CORS_ALLOW_ORIGINS: config.api.corsAllowOrigins.join(','),
      TOKEN_KEY: process.env.TOKEN_KEY ?? randomBytes(32).toString('hex'),
    });
    const handlers: Record<string, Handler> = {
      query: (await import('../lambdas/api/query-handler')).handler,
      ingest: (await import('../lambdas/api/ingest-handler')).handler,
    };
    const allow = tokenBucket(options.throttle?.rateLimit ?? config.api.throttleRateLimit, options.throttle?.burstLimit ?? config.api.throttleBurstLimit);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        try {
          const tooLarge = sizeProblem(req);
          if (tooLarge) return send(res, problemResponse(tooLarge, url.pathname));
          if (!allow()) return send(res, problemResponse(throttledProblem(), url.pathname));
          if (req.method === 'OPTIONS') {
            const origins = config.api.corsAllowOrigins;
            const origin = req.headers.origin;
            const allowed = origins.includes('*') ? '*' : origin && origins.includes(origin) ? origin : undefined;
            res.writeHead(204, allowed ? { 'access-control-allow-origin': allowed, 'access-control-allow-methods': 'GET,POST,OPTIONS', 'access-control-allow-headers': 'Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Api-Key' } : {});
            return res.end();
          }
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of req) {
            size += (chunk as Buffer).length;
            if (size <= GATEWAY_MAX_BYTES) chunks.push(chunk as Buffer);
          }
          if (size > GATEWAY_MAX_BYTES) {
            const dataset = /^\/v1\/ingest\/([^/]+)$/.exec(url.pathname)?.[1] ?? '{dataset}';
            const { tooLarge } = await import('../lambdas/api/ingest-body');
            return send(res, problemResponse(tooLarge(size, dataset), url.pathname));
          }
          let fn = 'query';
          try {
            fn = matchRoute(req.method ?? 'GET', url.pathname).route.function;
          } catch {
            // Unknown routes: the query handler answers them with the same 404/405 problem.
          }
          send(res, await handlers[fn](proxyEvent(req, url, Buffer.concat(chunks))));
        } catch (e) {
          send(res, problemResponse(new Problem(500, 'internal-error', 'Internal server error', (e as Error).message), url.pathname));
        }
      })();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, '127.0.0.1', resolve);
    });
    pump = (async () => {
      while (!closing) {
        try {
          pumped += (await pumpOnce(platform, transform, 1)).received;
        } catch (e) {
          if (!closing) (options.onPumpError ?? ((err: Error) => console.error(`transform pump: ${err.message}`)))(e as Error);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  } catch (e) {
    closing = true;
    athenaClient.destroy();
    await athena.close();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    athena,
    pumped: () => pumped,
    close: async () => {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pump;
      athenaClient.destroy();
      await athena.close();
    },
  };
}

/** The routes, for the start-up banner. */
export function routeList(): string[] {
  return ROUTES.map((r) => `${r.method.padEnd(4)} ${r.path}`);
}

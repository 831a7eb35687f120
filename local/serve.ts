import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { problemResponse, Problem } from '../lambdas/api/problem';
import { matchRoute, ROUTES } from '../lambdas/api/routes';
import { asOfExpression, goldDatasets, goldSqlText, renderGoldSql } from '../lambdas/shared/gold';
import { glueDatabaseName, resourceName } from '../lib/naming';
import { startPlatformAthena } from './athena';
import type { LocalAthena } from './athena-server';
import type { LocalPlatform } from './platform';
import { loadTransformHandler } from './run';
import { pumpOnce } from './sqs-pump';

/** API Gateway's REST API payload limit; larger requests never reach a function. */
export const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

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
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (multiQuery[k] ??= []).push(v);
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
    (multiHeaders[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1]);
  }
  const hasQuery = Object.keys(multiQuery).length > 0;
  const requestId = randomUUID();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
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
    const sql = renderGoldSql(goldSqlText(dataset), { ...databases, as_of: asOfExpression(databases.silver) });
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
  const server = createServer();
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

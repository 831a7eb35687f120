import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Problem, problemResponse } from './problem';
import { matchRoute, validateRequest, type MatchedRoute, type QueryParameters, type RouteFunction } from './routes';

/** A request as the handlers see it, from an API Gateway REST proxy event. */
export interface ApiRequest extends MatchedRoute {
  readonly method: string;
  readonly path: string;
  readonly query: QueryParameters;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly requestId: string;
}

/**
 * An object of client-chosen names without a prototype: `__proto__`, `constructor`, `hasOwnProperty`… are
 * plain own keys, and looking up a name the client did not send gives undefined, never Object.prototype's.
 */
export function ownRecord<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) record[k] = v;
  return record;
}

function queryOf(event: APIGatewayProxyEvent): QueryParameters {
  if (event.multiValueQueryStringParameters) {
    return ownRecord(Object.entries(event.multiValueQueryStringParameters).map(([k, v]) => [k, v ?? []]));
  }
  return ownRecord(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v === undefined ? [] : [v]]));
}

/** CORS headers for the request's Origin when it is one of `CORS_ALLOW_ORIGINS` (comma-separated; `*` for any). */
function corsHeaders(origin: string | undefined): Record<string, string> {
  const allowed = (process.env.CORS_ALLOW_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (allowed.includes('*')) return { 'access-control-allow-origin': '*' };
  if (origin && allowed.includes(origin)) return { 'access-control-allow-origin': origin, vary: 'Origin' };
  return {};
}

/**
 * Wraps a route implementation as a Lambda handler for API Gateway REST proxy events: routing and
 * request validation from the route table, problem+json for every error, CORS headers from the config.
 * A route served by the other function answers 404, as API Gateway would never send it here.
 */
export function apiHandler(fn: RouteFunction, implementation: (request: ApiRequest) => Promise<APIGatewayProxyResult>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const headers = ownRecord(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']));
    const path = event.path;
    let result: APIGatewayProxyResult;
    try {
      let matched: MatchedRoute;
      try {
        matched = matchRoute(event.httpMethod, path);
      } catch (e) {
        if (e instanceof URIError) throw new Problem(400, 'invalid-path', 'Bad request', `the path ${path} is not valid percent-encoding`);
        throw e;
      }
      if (matched.route.function !== fn) throw new Problem(404, 'unknown-route', 'Not found', `${event.httpMethod} ${path} is not served by the ${fn} function`);
      const query = queryOf(event);
      validateRequest(matched, query);
      const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
      result = await implementation({ ...matched, method: event.httpMethod, path, query, headers, body, requestId: event.requestContext?.requestId ?? '' });
    } catch (e) {
      if (e instanceof Problem) {
        result = problemResponse(e, path);
      } else {
        const requestId = event.requestContext?.requestId ?? '';
        console.error(JSON.stringify({ level: 'ERROR', message: 'unhandled error', requestId, path, error: (e as Error).stack ?? String(e) }));
        result = problemResponse(new Problem(500, 'internal-error', 'Internal server error', `the ${fn} function failed unexpectedly; quote request id ${requestId || '(none)'} to the platform team`, { requestId }), path);
      }
    }
    return { ...result, headers: { ...result.headers, ...corsHeaders(headers.origin) } };
  };
}

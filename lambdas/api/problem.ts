import type { APIGatewayProxyResult } from 'aws-lambda';

/** Where the problem types are documented (docs/api.md, "Errors"). */
export const PROBLEM_TYPE_BASE = 'urn:medallion:problem:';

/**
 * An RFC 9457 problem: the one shape of every error the API returns. `detail` says what was wrong,
 * where, and how to fix it; extensions carry what a client needs to act (e.g. `queryId`, `uploadRoute`).
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    /** Short slug of the problem type, e.g. `unknown-column`. */
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }
}

export const badRequest = (type: string, detail: string, extensions?: Record<string, unknown>): Problem => new Problem(400, type, 'Bad request', detail, extensions);

export const notFound = (type: string, detail: string): Problem => new Problem(404, type, 'Not found', detail);

/** The problem+json response of a problem, at `instance` (the request path). */
export function problemResponse(problem: Problem, instance: string): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...problem.headers },
    body: JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${problem.type}`, title: problem.title, status: problem.status, detail: problem.detail, instance, ...problem.extensions }),
  };
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

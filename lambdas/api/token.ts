import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from './problem';

/**
 * Opaque, integrity-checked handles: `nextToken` (a page of an Athena query) and the `queryId` of a 504.
 * `<base64url JSON payload>.<base64url HMAC-SHA256>`; the key is the deployment's token key, so a token
 * cannot be forged, altered, or replayed against another query.
 */
export interface PageToken {
  /** Athena query execution id. */
  readonly q: string;
  /** Athena's NextToken, absent for the first page of a query. */
  readonly t?: string;
  /** Fingerprint of the request the token continues (QueryPlan.fingerprint, or `query:<id>`). */
  readonly f: string;
  /** Issued at, epoch seconds. */
  readonly i: number;
}

/** How long a token stays valid: Athena results are kept in the results bucket for days, a day is plenty. */
export const TOKEN_TTL_SECONDS = 24 * 3600;

const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function encodeToken(key: Buffer, token: Omit<PageToken, 'i'>, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ ...token, i: Math.floor(now / 1000) })).toString('base64url');
  return `${payload}.${sign(key, payload)}`;
}

/**
 * The token's content, after checking its signature, age and that it continues the same request.
 * @throws Problem 400 `invalid-token` saying which check failed and what to do
 */
export function decodeToken(key: Buffer, raw: string, fingerprint: string | undefined, parameter: string, now = Date.now()): PageToken {
  const [payload, signature, extra] = raw.split('.');
  const expected = payload ? sign(key, payload) : '';
  if (extra !== undefined || !signature || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
    throw badRequest('invalid-token', `${parameter} is not a token this API issued (malformed or altered); send the value of the previous response unchanged, or start again without it`);
  }
  const token = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PageToken;
  if (now / 1000 - token.i > TOKEN_TTL_SECONDS) throw badRequest('expired-token', `${parameter} expired (older than ${TOKEN_TTL_SECONDS / 3600} h); start again without it`);
  if (fingerprint !== undefined && token.f !== fingerprint) {
    throw badRequest('invalid-token', `${parameter} belongs to a different query; send it with the same path, filters, orderBy and limit as the request that returned it`);
  }
  return token;
}

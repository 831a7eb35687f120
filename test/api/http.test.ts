import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '../../lambdas/api/http';
import { jsonResponse } from '../../lambdas/api/problem';
import { planQuery } from '../../lambdas/api/query-plan';

/** An API Gateway event as Lambda receives it: parsed from JSON, so `__proto__` is an own key like any other. */
const event = (path: string, json: string): APIGatewayProxyEvent =>
  ({ httpMethod: 'GET', path, requestContext: { requestId: 'r-1' }, body: null, isBase64Encoded: false, ...JSON.parse(json) }) as APIGatewayProxyEvent;

describe('API handler wrapper: names chosen by the client', () => {
  const handler = apiHandler('query', async (request) => {
    const plan = planQuery({ name: 'things', from: '"t"', filterable: true, columns: [{ name: 'n', logicalType: 'integer', physicalType: 'int' }] }, request.query);
    return jsonResponse(200, { sql: plan.sql, origin: request.headers.origin ?? null });
  });

  it('refuses query parameters named after Object.prototype members with 400, on routes with and without filters', async () => {
    const json = '{"multiValueQueryStringParameters":{"__proto__":["1"],"constructor":["2"],"hasOwnProperty":["3"],"prototype":["4"]}}';
    const list = await handler(event('/v1/datasets', json));
    expect([list.statusCode, list.headers?.['content-type'], JSON.parse(list.body).detail]).toEqual([
      400,
      'application/problem+json',
      "unknown query parameter(s) '__proto__', 'constructor', 'hasOwnProperty', 'prototype' for GET /v1/datasets; accepted: none",
    ]);
    const rows = await handler(event('/v1/datasets/things/rows', json));
    expect([rows.statusCode, JSON.parse(rows.body).detail]).toEqual([400, '"__proto__" is not a column of things, nor one of limit, orderBy, nextToken; columns: n']);
    const single = await handler(event('/v1/datasets/things/rows', '{"queryStringParameters":{"__proto__":"1"}}'));
    expect(JSON.parse(single.body).type).toBe('urn:medallion:problem:unknown-column');
  });

  it('ignores headers named after Object.prototype members, and a missing header is undefined', async () => {
    const res = await handler(event('/v1/datasets/things/rows', '{"headers":{"__proto__":"x","constructor":"y","hasOwnProperty":"z"}}'));
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([200, { sql: 'SELECT "n" FROM "t" ORDER BY "n" ASC NULLS LAST', origin: null }]);
  });
});

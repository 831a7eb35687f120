import { DuckDBInstance } from '@duckdb/node-api';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '../../lambdas/api/http';
import { jsonResponse } from '../../lambdas/api/problem';
import { planQuery } from '../../lambdas/api/query-plan';
import { goldSource } from '../../lambdas/api/sources';
import { loadGoldContracts } from '../../lambdas/shared/contracts';
import { bindParameters } from '../../local/athena-engines';

describe('published Gold tables (the deployed read path)', () => {
  it('reads only the latest as_of partition, with the filters bound as literals', async () => {
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run('CREATE SCHEMA g');
    await c.run(`CREATE TABLE g.daily_revenue_published AS SELECT * FROM (VALUES
      (DATE '2024-03-01', 'USD', 1::BIGINT, 19.90::DECIMAL(18,2), '2024-03-01'),
      (DATE '2024-03-01', 'USD', 2::BIGINT, 29.90::DECIMAL(18,2), '2024-03-02'),
      (DATE '2024-03-02', 'EUR', 1::BIGINT, 5.00::DECIMAL(18,2), '2024-03-02')
    ) t(date, currency, transactions, revenue, as_of)`);
    const contract = loadGoldContracts().find((g) => g.name === 'daily_revenue')!;
    const source = goldSource(contract, { gold: 'g', ops: 'o' }, 'published');
    const run = async (query: Record<string, string[]>) => {
      const plan = planQuery(source, query);
      return (await c.runAndReadAll(bindParameters(plan.sql, plan.parameters))).getRowObjectsJson();
    };
    expect(await run({})).toEqual([
      { date: '2024-03-01', currency: 'USD', transactions: '2', revenue: '29.90' },
      { date: '2024-03-02', currency: 'EUR', transactions: '1', revenue: '5.00' },
    ]);
    expect(await run({ currency: ['USD'] })).toEqual([{ date: '2024-03-01', currency: 'USD', transactions: '2', revenue: '29.90' }]);
    c.closeSync();
  });
});

describe('CORS headers', () => {
  const event = (origin: string) => ({ httpMethod: 'GET', path: '/v1/datasets', headers: { Origin: origin }, multiValueQueryStringParameters: null, queryStringParameters: null, body: null, isBase64Encoded: false }) as unknown as APIGatewayProxyEvent;
  const handler = apiHandler('query', () => Promise.resolve(jsonResponse(200, {})));

  it('echo an allowed origin only', async () => {
    process.env.CORS_ALLOW_ORIGINS = 'https://app.example.com,http://localhost:5173';
    try {
      expect((await handler(event('https://app.example.com'))).headers).toEqual({ 'content-type': 'application/json', 'access-control-allow-origin': 'https://app.example.com', vary: 'Origin' });
      expect((await handler(event('https://evil.example.com'))).headers).toEqual({ 'content-type': 'application/json' });
    } finally {
      delete process.env.CORS_ALLOW_ORIGINS;
    }
  });
});

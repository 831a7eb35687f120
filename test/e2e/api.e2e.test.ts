import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ndjson, printRecord } from '../fixtures/records';
import { problem, startE2EApi, type E2EApi } from './harness';

// The fixture of beforeAll is all these tests read, and none of them adds source data (the ingest routes
// are tested in api-ingest.e2e.test.ts, on a platform of their own): row lists and counts are exact.
let e2e: E2EApi;
const call = (path: string, init?: RequestInit) => e2e.call(path, init);
const DAYS = ['2020-11-22', '2020-11-23', '2020-11-24', '2020-11-25', '2020-11-26', '2020-11-27', '2020-11-28'];

beforeAll(async () => {
  e2e = await startE2EApi({ throttle: { rateLimit: 10_000, burstLimit: 10_000 } });
  const files: Record<string, string> = {
    'prints/2020-11-28.json': ndjson(...DAYS.flatMap((day, d) => [1, 2, 3].map((user) => printRecord(day, user, { position: d })))),
    'taps/2020-11-28.json': ndjson(printRecord('2020-11-28', 1, { position: 6 })),
    'pays/2020-11-27.csv': 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n',
    'events/2024-03-02.json': ndjson(
      { event_id: 'e1', session_id: 's1', user_id: 'u1', event_type: 'page_view', timestamp: '2024-03-01T10:15:30.120-03:00', device: 'mobile' },
      { event_id: 'e2', session_id: 's1', user_id: 'u1', event_type: 'add_to_cart', timestamp: '2024-03-01T10:20:00-03:00' },
      { event_id: 'e3', session_id: 's2', user_id: 'u2', event_type: 'search', timestamp: '2024-03-02T08:00:00Z' },
    ),
    'transactions/2024-03-02.csv':
      'transaction_id,session_id,user_id,amount,currency,status,timestamp\nt1,s1,u1,19.90,USD,completed,2024-03-01T13:30:00Z\nt2,s2,u2,5.00,EUR,completed,2024-03-02T09:00:00Z\nt3,s2,u2,7.50,EUR,failed,2024-03-02T09:05:00Z\n',
    'users/2024-03-01.csv': 'user_id,email,country,device,signup_date,updated_at\nu1,ana@example.com,PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n',
  };
  for (const [key, body] of Object.entries(files)) await e2e.put(key, body);
  await e2e.processed(Object.keys(files));
});

afterAll(async () => {
  await e2e?.close();
});

describe('HTTP API through the local server (real HTTP, same handlers, local Athena, moto)', () => {
  it('GET /v1/datasets lists the Gold datasets with their contract columns', async () => {
    const { status, body } = await call('/v1/datasets');
    expect(status).toBe(200);
    expect(body.datasets.map((d: { name: string }) => d.name)).toEqual(['daily_kpis', 'daily_revenue', 'data_quality_history', 'user_session_analysis', 'value_prop_features']);
    expect(body.datasets[1]).toEqual({
      name: 'daily_revenue',
      description: 'Completed transactions and revenue per UTC date and currency.',
      rowsUrl: '/v1/datasets/daily_revenue/rows',
      columns: [
        { name: 'date', type: 'date', logicalType: 'date', required: true, description: 'UTC date of the transaction' },
        { name: 'currency', type: 'string', logicalType: 'string', required: true, description: 'ISO-4217 currency' },
        { name: 'transactions', type: 'bigint', logicalType: 'integer', required: true, description: 'Completed transactions' },
        { name: 'revenue', type: 'decimal(18,2)', logicalType: 'number', required: true, description: 'Sum of their amounts' },
      ],
    });
  });

  it('GET /v1/openapi.json serves the committed document', async () => {
    const { status, body } = await call('/v1/openapi.json');
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8')));
  });

  it('GET rows returns typed values: numbers, decimals as strings, ISO dates and UTC timestamps, booleans, nulls', async () => {
    const revenue = await call('/v1/datasets/daily_revenue/rows');
    expect(revenue.status).toBe(200);
    expect(revenue.type).toBe('application/json');
    expect(revenue.body).toEqual({
      columns: [{ name: 'date', type: 'date' }, { name: 'currency', type: 'string' }, { name: 'transactions', type: 'bigint' }, { name: 'revenue', type: 'decimal(18,2)' }],
      rows: [
        { date: '2024-03-01', currency: 'USD', transactions: 1, revenue: '19.90' },
        { date: '2024-03-02', currency: 'EUR', transactions: 1, revenue: '5.00' },
      ],
      nextToken: null,
    });
    const sessions = await call('/v1/datasets/user_session_analysis/rows');
    expect(sessions.body.rows).toEqual([
      { session_id: 's1', user_id: 'u1', user_country: 'PE', user_device: 'mobile', session_start_time: '2024-03-01T13:15:30.120Z', session_end_time: '2024-03-01T13:20:00.000Z', total_events: 2, event_type: 'add_to_cart', transaction_id: 't1', amount: '19.90', currency: 'USD', is_conversion: true },
      { session_id: 's2', user_id: 'u2', user_country: null, user_device: null, session_start_time: '2024-03-02T08:00:00.000Z', session_end_time: '2024-03-02T08:00:00.000Z', total_events: 1, event_type: 'search', transaction_id: 't2', amount: '5.00', currency: 'EUR', is_conversion: true },
    ]);
    const kpis = await call('/v1/datasets/daily_kpis/rows?date=2024-03-01');
    expect(kpis.body.rows).toEqual([{ date: '2024-03-01', sessions: 1, active_users: 1, converted_sessions: 1, conversion_rate: 1 }]);
  });

  it('filters: equality, in-lists, ranges on dates, numbers and timestamps, booleans; orderBy with descending columns', async () => {
    const rows = async (query: string) => (await call(`/v1/datasets/${query}`)).body.rows.map((r: Record<string, unknown>) => Object.values(r).slice(0, 2).join('/'));
    expect(await rows('daily_revenue/rows?currency=EUR')).toEqual(['2024-03-02/EUR']);
    expect(await rows('daily_revenue/rows?currency=in:USD,GBP')).toEqual(['2024-03-01/USD']);
    expect(await rows('daily_revenue/rows?currency=ne:USD')).toEqual(['2024-03-02/EUR']);
    expect(await rows('daily_revenue/rows?date=gte:2024-03-01&date=lt:2024-03-02')).toEqual(['2024-03-01/USD']);
    expect(await rows('daily_revenue/rows?revenue=gt:5.00')).toEqual(['2024-03-01/USD']);
    expect(await rows('daily_revenue/rows?orderBy=-revenue')).toEqual(['2024-03-01/USD', '2024-03-02/EUR']);
    expect(await rows('daily_revenue/rows?orderBy=revenue')).toEqual(['2024-03-02/EUR', '2024-03-01/USD']);
    // 10:16-03:00 is 13:16Z: after the start of s1 (13:15:30.120Z).
    expect(await rows('user_session_analysis/rows?session_start_time=gte:2024-03-01T10:16:00-03:00')).toEqual(['s2/u2']);
    expect(await rows('user_session_analysis/rows?session_start_time=lte:2024-03-01T13:15:30.120Z')).toEqual(['s1/u1']);
    expect(await rows('user_session_analysis/rows?is_conversion=false')).toEqual([]);
    expect(await rows('user_session_analysis/rows?total_events=2&is_conversion=true')).toEqual(['s1/u1']);
    expect(await rows('value_prop_features/rows?clicked=true')).toEqual(['2020-11-28/1']);
  });

  it('paginates with nextToken: every row exactly once, in order; the token is bound to its query', async () => {
    const all = (await call('/v1/datasets/value_prop_features/rows?limit=1000')).body;
    expect(all.rows).toHaveLength(21);
    const pages: unknown[][] = [];
    let token: string | null = null;
    let first: string | undefined;
    do {
      const page: any = (await call(`/v1/datasets/value_prop_features/rows?limit=5${token ? `&nextToken=${token}` : ''}`)).body;
      pages.push(page.rows);
      token = page.nextToken;
      first ??= token ?? undefined;
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 1]);
    expect(pages.flat()).toEqual(all.rows);
    expect(new Set(pages.flat().map((r: any) => `${r.day}/${r.user_id}`)).size).toBe(21);
    expect(all.rows[0]).toEqual({ day: '2020-11-22', user_id: 1, value_prop: 'point', position: 0, clicked: false, prints_3w: 0, taps_3w: 0, pays_3w: 0, amount_3w: '0.00' });
    const path = '/v1/datasets/value_prop_features/rows';
    expect((await call(`${path}?limit=6&nextToken=${first}`)).body).toEqual(
      problem(400, 'invalid-token', 'nextToken belongs to a different query; send it with the same path, filters, orderBy and limit as the request that returned it', path),
    );
    const [payload, signature] = first!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), t: 'x' })).toString('base64url');
    expect((await call(`${path}?limit=5&nextToken=${forged}.${signature}`)).body).toEqual(
      problem(400, 'invalid-token', 'nextToken is not a token this API issued (malformed or altered); send the value of the previous response unchanged, or start again without it', path),
    );
  });

  const rowsPath = '/v1/datasets/daily_revenue/rows';
  const columns = 'columns: date, currency, transactions, revenue';
  it.each([
    ['a column name', `${rowsPath}?currency%3D%27x%27%20OR%201%3D1--=1`, problem(400, 'unknown-column', `"currency='x' OR 1=1--" is not a column of daily_revenue, nor one of limit, orderBy, nextToken; ${columns}`, rowsPath)],
    ['an integer value', `${rowsPath}?transactions=1%20OR%201%3D1`, problem(400, 'invalid-value', `filter on 'transactions' (bigint): "1 OR 1=1" is not an integer (digits, optional leading -)`, rowsPath)],
    ['a date value', `${rowsPath}?date=2024-03-01%27%20OR%20%271%27%3D%271`, problem(400, 'invalid-value', `filter on 'date' (date): "2024-03-01' OR '1'='1" is not a date YYYY-MM-DD`, rowsPath)],
    ['a decimal range', `${rowsPath}?revenue=gte:0)%20OR%20(1%3D1`, problem(400, 'invalid-value', `filter on 'revenue' (decimal(18,2)): "0) OR (1=1" is not a number written as digits with an optional . and decimals (no exponent)`, rowsPath)],
    ['an in-list', `${rowsPath}?date=in:2024-03-01,2024-03-02)%20OR%20(1%3D1`, problem(400, 'invalid-value', `filter on 'date' (date): "2024-03-02) OR (1=1" is not a date YYYY-MM-DD`, rowsPath)],
    ['an operator', `${rowsPath}?currency=or:1%3D1`, problem(400, 'unknown-operator', `filter on 'currency': unknown operator 'or' in "or:1=1"; operators: eq:, ne:, in:, gt:, gte:, lt:, lte: (a bare value means eq:; to match a value that starts with letters and ':', write eq:or:1=1)`, rowsPath)],
    ['orderBy', `${rowsPath}?orderBy=date;DROP%20TABLE%20x`, problem(400, 'unknown-column', `orderBy: "date;DROP TABLE x" is not a column of daily_revenue; ${columns} (prefix one with - to sort descending)`, rowsPath)],
    ['limit', `${rowsPath}?limit=1;DROP`, problem(400, 'invalid-parameter', `query parameter 'limit' has an invalid value "1;DROP": Rows per page, 1-1000.`, rowsPath)],
    ['nextToken', `${rowsPath}?nextToken=x%27%20OR%201%3D1`, problem(400, 'invalid-parameter', `query parameter 'nextToken' has an invalid value "x' OR 1=1": Opaque token of the next page, from the previous response; send it with the same other parameters.`, rowsPath)],
    ['the dataset name', '/v1/datasets/daily_revenue;DROP/rows', problem(400, 'invalid-parameter', 'path parameter \'name\' has an invalid value "daily_revenue;DROP": Gold dataset name (GET /v1/datasets lists them).', '/v1/datasets/daily_revenue;DROP/rows')],
    ['a files filter', '/v1/files?rows_in=0%20OR%201%3D1', problem(400, 'invalid-value', `filter on 'rows_in' (bigint): "0 OR 1=1" is not an integer (digits, optional leading -)`, '/v1/files')],
    ['a runs filter', '/v1/runs?checks_failed=0%20OR%201%3D1', problem(400, 'invalid-value', `filter on 'checks_failed' (int): "0 OR 1=1" is not an integer (digits, optional leading -)`, '/v1/runs')],
    ['a quality filter', '/v1/quality?value=gte:0%20OR%201%3D1', problem(400, 'invalid-value', `filter on 'value' (double): "0 OR 1=1" is not a number written as digits with an optional . and decimals (no exponent)`, '/v1/quality')],
    ['the query id', '/v1/queries/abc%27%20OR%201%3D1', problem(400, 'invalid-parameter', 'path parameter \'queryId\' has an invalid value "abc\' OR 1=1": The queryId of a 504 problem.', '')],
    ['the ingest dataset', '/v1/ingest/prints;rm', problem(400, 'invalid-parameter', 'path parameter \'dataset\' has an invalid value "prints;rm": Source dataset (a contract in contracts/).', '/v1/ingest/prints;rm'), 'POST'],
    ['the upload flag', '/v1/uploads/pays?gzip=true%27', problem(400, 'invalid-parameter', 'query parameter \'gzip\' has an invalid value "true\'": The file is gzip-compressed (key ends in .gz).', '/v1/uploads/pays'), 'POST'],
  ])('rejects SQL injection in %s with 400 and a precise problem', async (_what, path, expected, method = 'GET') => {
    const res = await call(path as string, { method: method as string });
    expect([res.status, res.type]).toEqual([400, 'application/problem+json']);
    // instance: the request path as sent (percent-encoded).
    expect(res.body).toEqual({ ...(expected as object), instance: (path as string).split('?')[0] });
  });

  const TS = 'an ISO-8601 timestamp with Z or an offset (2024-03-01T10:15:30Z) or a date YYYY-MM-DD (midnight UTC)';
  const sessionsPath = '/v1/datasets/user_session_analysis/rows';
  it.each([
    [`${sessionsPath}?session_start_time=gt:2024-02-31T10:00:00Z`, `filter on 'session_start_time' (timestamp): "2024-02-31T10:00:00Z" is not ${TS}: 2024-02 has 29 days`],
    [`${sessionsPath}?session_end_time=lt:2023-02-29T00:00:00Z`, `filter on 'session_end_time' (timestamp): "2023-02-29T00:00:00Z" is not ${TS}: 2023-02 has 28 days`],
    [`${sessionsPath}?session_start_time=2024-03-01T24:00:00Z`, `filter on 'session_start_time' (timestamp): "2024-03-01T24:00:00Z" is not ${TS}: hour 24 does not exist (write 00:00 of the next day)`],
    [`${sessionsPath}?session_start_time=gte:2024-03-01T10:60:00Z`, `filter on 'session_start_time' (timestamp): "2024-03-01T10:60:00Z" is not ${TS}: minute 60 does not exist`],
    [`${sessionsPath}?session_start_time=gte:2024-03-01T10:00:00%2B18:30`, `filter on 'session_start_time' (timestamp): "2024-03-01T10:00:00+18:30" is not ${TS}: offset +18:30 is beyond ±18:00`],
    [`${sessionsPath}?session_start_time=lte:2024-03-01T10:00:00`, `filter on 'session_start_time' (timestamp): "2024-03-01T10:00:00" is not ${TS}: it has no time zone; add Z (UTC) or an offset such as +02:00`],
    [`${sessionsPath}?session_start_time=in:2024-03-01T00:00:00Z,2024-04-31T00:00:00Z`, `filter on 'session_start_time' (timestamp): "2024-04-31T00:00:00Z" is not ${TS}: 2024-04 has 30 days`],
    [`${rowsPath}?date=gte:2024-02-31`, `filter on 'date' (date): "2024-02-31" is not a date YYYY-MM-DD: 2024-02 has 29 days`],
    [`${rowsPath}?date=ne:2024-13-01`, `filter on 'date' (date): "2024-13-01" is not a date YYYY-MM-DD: month 13 does not exist`],
    ['/v1/datasets/daily_kpis/rows?date=in:2024-03-01,2023-02-29', `filter on 'date' (date): "2023-02-29" is not a date YYYY-MM-DD: 2023-02 has 28 days`],
  ])('refuses the impossible date or timestamp in %s with 400 naming the parameter, value and expected form', async (path, detail) => {
    const res = await call(path);
    expect([res.status, res.type]).toEqual([400, 'application/problem+json']);
    expect(res.body).toEqual(problem(400, 'invalid-value', detail, path.split('?')[0]));
  });

  // Names that are properties of Object.prototype must be plain unknown names, never a 500.
  it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__'])('refuses a query parameter named %s with 400 problem+json on every route', async (name) => {
    const filterRoutes: [string, string][] = [
      [rowsPath, `"${name}" is not a column of daily_revenue, nor one of limit, orderBy, nextToken; ${columns}`],
      ['/v1/files', `"${name}" is not a column of files, nor one of limit, orderBy, nextToken; columns: ${'dataset, key, version_id, etag, file_id, status, rows_in, rows_valid, rows_quarantined, rows_superseded, content_sha256, duplicate_of, supersedes, superseded_by, bytes, processed_at, duration_ms, error'}`],
    ];
    for (const [path, detail] of filterRoutes) {
      const res = await call(`${path}?${name}=1`);
      expect([res.status, res.type, res.body]).toEqual([400, 'application/problem+json', problem(400, 'unknown-column', detail, path)]);
      const twice = await call(`${path}?${name}=1&${name}=2`);
      expect([twice.status, twice.body.type]).toEqual([400, 'urn:medallion:problem:unknown-column']);
    }
    for (const [method, path, accepted] of [['GET', '/v1/datasets', 'none'], ['GET', '/v1/openapi.json', 'none'], ['POST', '/v1/uploads/pays', 'gzip']]) {
      const res = await call(`${path}?${name}=1`, { method });
      expect([res.status, res.type, res.body]).toEqual([400, 'application/problem+json', problem(400, 'unknown-parameter', `unknown query parameter(s) '${name}' for ${method} ${path.replace('pays', '{dataset}')}; accepted: ${accepted}`, path)]);
    }
  });

  it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty'])('ignores a request header named %s', async (name) => {
    const res = await call(rowsPath, { headers: { [name]: 'x', [`${name}-2`]: 'y' } });
    expect([res.status, res.type, res.body.rows.length]).toEqual([200, 'application/json', 2]);
    const ingest = await call('/v1/ingest/pays', { method: 'POST', headers: { 'content-type': 'text/csv', [name]: 'x' }, body: 'pay_date,total,user_id,value_prop\n' });
    expect([ingest.status, ingest.body.type]).toEqual([400, 'urn:medallion:problem:empty-body']);
  });

  it.each([
    ['100 KB', 100 * 1024],
    ['300 KB', 300 * 1024],
  ])('answers a %s URL with 414 problem+json naming the limit', async (_what, size) => {
    const path = `${rowsPath}?currency=${'a'.repeat(size)}`;
    const res = await call(path);
    expect([res.status, res.type]).toEqual([414, 'application/problem+json']);
    expect(res.body).toEqual({
      type: 'urn:medallion:problem:uri-too-long',
      title: 'URI too long',
      status: 414,
      detail: `the request target (path and query) has ${path.length} bytes; the API takes at most 8192 (API Gateway's limit): send fewer or shorter filters`,
      instance: rowsPath,
      maxBytes: 8192,
    });
    // At the limit: served.
    expect((await call(`${rowsPath}?currency=${'a'.repeat(8192 - rowsPath.length - '?currency='.length)}`)).status).toBe(200);
  });

  it('answers request line and headers above 10240 bytes with 431 problem+json naming the limit', async () => {
    const res = await call(rowsPath, { headers: { 'x-big': 'b'.repeat(300 * 1024) } });
    expect([res.status, res.type]).toEqual([431, 'application/problem+json']);
    expect(res.body).toEqual({
      type: 'urn:medallion:problem:headers-too-large',
      title: 'Request header fields too large',
      status: 431,
      detail: expect.stringMatching(/^the request line and headers have 30\d{4} bytes; the API takes at most 10240 \(API Gateway's limit\)$/),
      instance: rowsPath,
      maxBytes: 10240,
    });
  });

  it.each([
    ['a 2 MB URL', (path: string) => call(`${path}?currency=${'a'.repeat(2 * 1024 * 1024)}`)],
    ['2 MB of headers', (path: string) => call(path, { headers: { 'x-big': 'b'.repeat(2 * 1024 * 1024) } })],
  ])('answers %s, past what the server parses, with 431 problem+json instead of a reset', async (_what, send) => {
    const res = await send(rowsPath);
    expect([res.status, res.type, res.headers.get('connection')]).toEqual([431, 'application/problem+json', 'close']);
    expect(res.body).toEqual({
      type: 'urn:medallion:problem:headers-too-large',
      title: 'Request header fields too large',
      status: 431,
      detail: "the request line and headers have more than 1048576 bytes; the API takes at most 10240 (API Gateway's limit)",
      instance: '',
      maxBytes: 10240,
    });
    expect((await call('/v1/datasets')).status).toBe(200);
  });

  it('binds string values as literals: an injection attempt in a string filter matches nothing', async () => {
    const res = await call(`${rowsPath}?currency=${encodeURIComponent("USD' OR '1'='1")}`);
    expect([res.status, res.body.rows]).toEqual([200, []]);
    const files = await call(`/v1/files?status=${encodeURIComponent("x') OR 1=1 --")}`);
    expect([files.status, files.body.rows]).toEqual([200, []]);
  });

  it('answers 404 for an unknown dataset or route and 405 for a wrong method', async () => {
    expect((await call('/v1/datasets/nope/rows')).body).toEqual(
      problem(404, 'unknown-dataset', "no Gold dataset 'nope'; datasets: daily_kpis, daily_revenue, data_quality_history, user_session_analysis, value_prop_features", '/v1/datasets/nope/rows'),
    );
    const unknown = await call('/v2/things');
    expect([unknown.status, unknown.body.type]).toEqual([404, 'urn:medallion:problem:unknown-route']);
    const wrong = await call('/v1/datasets', { method: 'POST' });
    expect([wrong.status, wrong.body.detail, wrong.headers.get('allow')]).toEqual([405, '/v1/datasets accepts GET, not POST', 'GET']);
    expect((await call('/v1/ingest/nope', { method: 'POST', body: '{}' })).body).toEqual(
      problem(404, 'unknown-dataset', "no source dataset 'nope'; datasets: events, pays, prints, taps, transactions, users", '/v1/ingest/nope'),
    );
  });

  it('GET /v1/files lists the processed source files (run manifests), newest first, with filters', async () => {
    const { status, body } = await call('/v1/files?dataset=transactions');
    expect(status).toBe(200);
    expect(body.columns.map((c: { name: string }) => c.name)).toEqual(['dataset', 'key', 'version_id', 'etag', 'file_id', 'status', 'rows_in', 'rows_valid', 'rows_quarantined', 'rows_superseded', 'content_sha256', 'duplicate_of', 'supersedes', 'superseded_by', 'bytes', 'processed_at', 'duration_ms', 'error']);
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ dataset: 'transactions', key: 'transactions/2024-03-02.csv', status: 'ingested', rows_in: 3, rows_valid: 3, rows_quarantined: 0, duplicate_of: null, error: null });
    const all = (await call('/v1/files?limit=1000')).body.rows as { processed_at: string }[];
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all.map((r) => r.processed_at)).toEqual([...all.map((r) => r.processed_at)].sort().reverse());
  });

  it('GET /v1/runs and /v1/quality read the run records and quality results the orchestration writes, newest first', async () => {
    // The same queries as below: operations lists never take reused results.
    expect(await call('/v1/runs')).toMatchObject({ status: 200, body: { rows: [], nextToken: null } });
    expect(await call('/v1/quality?status=fail')).toMatchObject({ status: 200, body: { rows: [], nextToken: null } });
    // What the gold-build record step writes to the silver bucket's _operations/ (tables of the ops database).
    const run = (execution: string, status: string, started: string) => ({
      execution, status, started_at: started, finished_at: started.replace('00Z', '30Z'), request: '{}', checks: 2, checks_failed: status === 'BLOCKED' ? 1 : 0, checks_warned: 0,
      builds: [{ dataset: 'daily_kpis', as_of: '2024-03-02', location: 's3://gold/daily_kpis/as_of=2024-03-02/build=1/' }], message: 'm', error: null,
    });
    await e2e.platform.s3.send(new PutObjectCommand({ Bucket: e2e.platform.buckets.silver, Key: '_operations/runs/exec-1.json', Body: `${JSON.stringify(run('exec-1', 'SUCCEEDED', '2024-03-03T06:00:00Z'))}\n` }));
    await e2e.platform.s3.send(new PutObjectCommand({ Bucket: e2e.platform.buckets.silver, Key: '_operations/runs/exec-2.json', Body: `${JSON.stringify(run('exec-2', 'BLOCKED', '2024-03-04T06:00:00Z'))}\n` }));
    const check = (id: string, status: string, value: number) => ({ execution: 'exec-2', checked_at: '2024-03-04T06:00:10Z', as_of: null, id, dataset: id.split('.')[0], check: id, kind: 'nulls', severity: 'error', status, value, unit: 'percent', threshold: 'mustBeLessThan 1' });
    await e2e.platform.s3.send(
      new PutObjectCommand({ Bucket: e2e.platform.buckets.silver, Key: '_operations/quality/exec-2.jsonl', Body: [check('events.nulls', 'fail', 12.5), check('users.nulls', 'pass', 0)].map((c) => JSON.stringify(c)).join('\n') + '\n' }),
    );
    const runs = await call('/v1/runs');
    expect(runs.body.columns.map((c: { name: string }) => c.name)).toEqual(['execution', 'status', 'started_at', 'finished_at', 'request', 'checks', 'checks_failed', 'checks_warned', 'message', 'error']);
    expect(runs.body.rows.map((r: { execution: string; status: string; checks_failed: number }) => [r.execution, r.status, r.checks_failed])).toEqual([['exec-2', 'BLOCKED', 1], ['exec-1', 'SUCCEEDED', 0]]);
    const failed = await call('/v1/quality?status=fail');
    expect(failed.body.rows).toEqual([{ execution: 'exec-2', checked_at: '2024-03-04T06:00:10Z', as_of: null, id: 'events.nulls', dataset: 'events', check: 'events.nulls', kind: 'nulls', severity: 'error', status: 'fail', value: 12.5, unit: 'percent', threshold: 'mustBeLessThan 1' }]);
  });

  it('answers 504 with a queryId when the query outlives the timeout; GET /v1/queries/{queryId} returns the result', async () => {
    process.env.QUERY_TIMEOUT_MS = '0';
    let res;
    try {
      res = await call('/v1/datasets/daily_revenue/rows?currency=USD&limit=1');
    } finally {
      process.env.QUERY_TIMEOUT_MS = '20000';
    }
    expect(res.status).toBe(504);
    expect(res.body).toEqual(
      problem(504, 'query-timeout', 'the query is still running after 0 ms; GET resultUrl until it answers 200', '/v1/datasets/daily_revenue/rows', {
        queryId: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/),
        resultUrl: `/v1/queries/${res.body.queryId}`,
      }),
    );
    let result;
    for (let i = 0; i < 100; i++) {
      result = await call(res.body.resultUrl);
      if (result.status !== 202) break;
      expect(result.body).toEqual({ queryId: res.body.queryId, status: 'RUNNING', resultUrl: res.body.resultUrl });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(result!.status).toBe(200);
    expect(result!.body).toEqual({
      columns: [{ name: 'date', type: 'date' }, { name: 'currency', type: 'varchar' }, { name: 'transactions', type: 'bigint' }, { name: 'revenue', type: 'decimal(18,2)' }],
      rows: [{ date: '2024-03-01', currency: 'USD', transactions: 1, revenue: '19.90' }],
      nextToken: null,
    });
  });
});

import { planQuery, literal, type QuerySource } from '../../lambdas/api/query-plan';
import { Problem } from '../../lambdas/api/problem';
import { decodeToken, encodeToken } from '../../lambdas/api/token';
import { matchRoute, validateRequest } from '../../lambdas/api/routes';

const source: QuerySource = {
  name: 'things',
  from: '"gold"."things"',
  filterable: true,
  columns: [
    { name: 'day', logicalType: 'date', physicalType: 'date' },
    { name: 'n', logicalType: 'integer', physicalType: 'int' },
    { name: 'amount', logicalType: 'number', physicalType: 'decimal(18,2)' },
    { name: 'ratio', logicalType: 'number', physicalType: 'double' },
    { name: 'flag', logicalType: 'boolean', physicalType: 'boolean' },
    { name: 'ts', logicalType: 'timestamp', physicalType: 'timestamp' },
    { name: 's', logicalType: 'string', physicalType: 'string' },
    { name: 'props', logicalType: 'object', physicalType: 'json' },
  ],
};

/** The expected form of a timestamp filter value, as problems state it. */
const TS = 'an ISO-8601 timestamp with Z or an offset (2024-03-01T10:15:30Z) or a date YYYY-MM-DD (midnight UTC)';

const problemOf = (fn: () => unknown): Pick<Problem, 'status' | 'type' | 'detail'> => {
  try {
    fn();
  } catch (e) {
    if (e instanceof Problem) return { status: e.status, type: e.type, detail: e.detail };
    throw e;
  }
  throw new Error('no problem raised');
};

describe('query planning', () => {
  it('builds one parameterized query: identifiers from the allow-list, every value an ExecutionParameter', () => {
    const plan = planQuery(source, { day: ['gte:2024-01-01', 'lt:2024-02-01'], s: ["it's"], n: ['in:1,2,3'], orderBy: ['-amount,day'], limit: ['50'] });
    expect(plan.sql).toBe(
      'SELECT "day", "n", "amount", "ratio", "flag", "ts", "s", "props" FROM "gold"."things" WHERE "day" >= ? AND "day" < ? AND "n" IN (?, ?, ?) AND "s" = ? ' +
        'ORDER BY "amount" DESC NULLS LAST, "day" ASC NULLS LAST, "n" ASC NULLS LAST, "ratio" ASC NULLS LAST, "flag" ASC NULLS LAST, "ts" ASC NULLS LAST, "s" ASC NULLS LAST',
    );
    expect(plan.parameters).toEqual(["DATE '2024-01-01'", "DATE '2024-02-01'", '1', '2', '3', "'it''s'"]);
    expect(plan.limit).toBe(50);
    expect(planQuery(source, {}).limit).toBe(100);
  });

  it('the fingerprint changes with anything that changes the result, not with the order of parameters', () => {
    const a = planQuery(source, { s: ['x'], n: ['1'] }).fingerprint;
    expect(planQuery(source, { n: ['1'], s: ['x'] }).fingerprint).toBe(a);
    expect(planQuery(source, { n: ['1'], s: ['y'] }).fingerprint).not.toBe(a);
    expect(planQuery(source, { n: ['1'], s: ['x'], limit: ['5'] }).fingerprint).not.toBe(a);
  });

  it.each([
    ['n', '12', '12'],
    ['n', '-2147483648', '-2147483648'],
    ['amount', '-7.5', '-7.5'],
    ['ratio', '0.25', '0.25'],
    ['flag', 'true', 'true'],
    ['ts', '2024-03-01T10:15:30.12-03:00', "TIMESTAMP '2024-03-01 13:15:30.120'"],
    ['ts', '2024-03-01', "TIMESTAMP '2024-03-01 00:00:00.000'"],
    ['s', "a'; DROP TABLE x; --", "'a''; DROP TABLE x; --'"],
  ])('types %s=%s as the literal %s', (name, value, expected) => {
    expect(literal(source.columns.find((c) => c.name === name)!, value)).toBe(expected);
  });

  it.each([
    [{ n: ['2147483648'] }, 'invalid-value', "filter on 'n' (int): \"2147483648\" is not within -2147483648..2147483647"],
    [{ amount: ['1.005'] }, 'invalid-value', "filter on 'amount' (decimal(18,2)): \"1.005\" is not a number with at most 2 decimals"],
    [{ ratio: ['1e5'] }, 'invalid-value', "filter on 'ratio' (double): \"1e5\" is not a number written as digits with an optional . and decimals (no exponent)"],
    [{ flag: ['yes'] }, 'invalid-value', "filter on 'flag' (boolean): \"yes\" is not true or false"],
    [{ flag: ['in:true,false'] }, 'invalid-operator', "filter on 'flag' (boolean): use eq:true or eq:false"],
    [{ day: ['2024-02-30'] }, 'invalid-value', "filter on 'day' (date): \"2024-02-30\" is not a date YYYY-MM-DD: 2024-02 has 29 days"],
    [{ ts: ['2024-03-01T10:00:00'] }, 'invalid-value', `filter on 'ts' (timestamp): "2024-03-01T10:00:00" is not ${TS}: it has no time zone; add Z (UTC) or an offset such as +02:00`],
    [{ s: ['gte:a'] }, 'invalid-operator', "filter on 's' (string): range operator 'gte:' applies to integer, number, date and timestamp columns only"],
    [{ props: ['x'] }, 'unfilterable-column', "column 'props' (json) holds JSON text and cannot be filtered"],
    [{ s: ['a\u0000b'] }, 'invalid-value', "filter on 's' (string): \"a\\u0000b\" is not a string without control characters"],
    [{ n: [`in:${Array.from({ length: 101 }, (_, i) => i).join(',')}`] }, 'invalid-value', "filter on 'n': in: takes at most 100 values, got 101"],
    [{ limit: ['0'] }, 'invalid-parameter', 'limit must be a whole number from 1 to 1000, got "0"'],
    [{ limit: ['1001'] }, 'invalid-parameter', 'limit must be a whole number from 1 to 1000, got "1001"'],
    [{ orderBy: ['day,day'] }, 'invalid-parameter', "orderBy: column 'day' is given twice"],
    [{ orderBy: ['a', 'b'] }, 'repeated-parameter', "query parameter 'orderBy' is given 2 times; give it once, comma-separated"],
  ])('refuses %j: %s', (query, type, detail) => {
    expect(problemOf(() => planQuery(source, query))).toEqual({ status: 400, type, detail });
  });

  // JavaScript's Date rolls impossible dates over (2024-02-31 → 2024-03-02) and reads 24:00 as the next
  // day: every filter kind (eq, ne, in, ranges) on date and timestamp columns must refuse them instead.
  it.each([
    ['day', '2024-02-31', 'a date YYYY-MM-DD: 2024-02 has 29 days'],
    ['day', 'gt:2023-02-29', 'a date YYYY-MM-DD: 2023-02 has 28 days'],
    ['day', 'lte:2024-04-31', 'a date YYYY-MM-DD: 2024-04 has 30 days'],
    ['day', 'ne:2024-13-01', 'a date YYYY-MM-DD: month 13 does not exist'],
    ['day', 'in:2024-01-01,2024-00-10', 'a date YYYY-MM-DD: month 00 does not exist'],
    ['day', 'gte:2024-01-00', 'a date YYYY-MM-DD: day 00 does not exist'],
    ['day', '2024-03-01T00:00:00Z', 'a date YYYY-MM-DD'],
    ['day', '2024-3-1', 'a date YYYY-MM-DD'],
    ['ts', 'gt:2024-02-31T10:00:00Z', `${TS}: 2024-02 has 29 days`],
    ['ts', 'lt:2100-02-29T00:00:00Z', `${TS}: 2100-02 has 28 days`],
    ['ts', 'gte:2024-02-30', `${TS}: 2024-02 has 29 days`],
    ['ts', 'in:2024-01-01T00:00:00Z,2024-13-01T00:00:00Z', `${TS}: month 13 does not exist`],
    ['ts', '2024-03-01T24:00:00Z', `${TS}: hour 24 does not exist (write 00:00 of the next day)`],
    ['ts', 'ne:2024-03-01T10:60:00Z', `${TS}: minute 60 does not exist`],
    ['ts', '2024-03-01T10:00:60Z', `${TS}: second 60 does not exist (leap seconds are not accepted)`],
    ['ts', '2024-03-01T10:00:00+18:01', `${TS}: offset +18:01 is beyond ±18:00`],
    ['ts', '2024-03-01T10:00:00-19:00', `${TS}: offset -19:00 is beyond ±18:00`],
    ['ts', '2024-03-01T10:00:00+05:60', `${TS}: offset +05:60 has minute 60`],
    ['ts', 'lte:2024-03-01T10:00', `${TS}: it has no time zone; add Z (UTC) or an offset such as +02:00`],
    ['ts', '2024-03-01 10:00:00Z', TS],
    ['ts', '2024-03-01T10:00:00+0200', TS],
    ['ts', '0000-01-01T00:00:00+01:00', `${TS}: in UTC it falls before year 0000`],
  ])('refuses the impossible %s=%s', (name, value, expected) => {
    const column = source.columns.find((c) => c.name === name)!;
    const operand = value.replace(/^[a-z]+:/, '');
    const bad = operand.includes(',') ? operand.split(',')[1] : operand;
    expect(problemOf(() => planQuery(source, { [name]: [value] }))).toEqual({
      status: 400,
      type: 'invalid-value',
      detail: `filter on '${name}' (${column.physicalType}): ${JSON.stringify(bad)} is not ${expected}`,
    });
  });

  it.each([
    ['day', '2024-02-29', "DATE '2024-02-29'"],
    ['day', '2000-02-29', "DATE '2000-02-29'"],
    ['day', '2023-12-31', "DATE '2023-12-31'"],
    ['ts', '2024-02-29T23:59:59.999Z', "TIMESTAMP '2024-02-29 23:59:59.999'"],
    ['ts', '2024-03-01T00:30:00+18:00', "TIMESTAMP '2024-02-29 06:30:00.000'"],
    ['ts', '2024-02-28T23:30:00-18:00', "TIMESTAMP '2024-02-29 17:30:00.000'"],
    ['ts', '2024-03-01T10:15Z', "TIMESTAMP '2024-03-01 10:15:00.000'"],
    ['ts', '2024-03-01T10:15:30.123456789Z', "TIMESTAMP '2024-03-01 10:15:30.123'"],
    ['ts', '0099-06-01T00:00:00Z', "TIMESTAMP '0099-06-01 00:00:00.000'"],
  ])('accepts the real %s=%s as %s', (name, value, expected) => {
    expect(literal(source.columns.find((c) => c.name === name)!, value)).toBe(expected);
  });

  it('refuses filters on a source whose columns are not known', () => {
    expect(problemOf(() => planQuery({ ...source, columns: [], filterable: false, name: 'quality' }, { dataset: ['x'] })).detail).toBe(
      'quality takes no filters or orderBy, only limit and nextToken; got dataset',
    );
    expect(planQuery({ ...source, columns: [], filterable: false }, {}).sql).toBe('SELECT * FROM "gold"."things"');
  });
});

describe('page tokens', () => {
  const key = Buffer.from('k'.repeat(32));
  it('round-trips and refuses altered, foreign, expired and misplaced tokens', () => {
    const token = encodeToken(key, { q: 'id-1', t: 'athena-next', f: 'fp' }, 1_000_000);
    expect(decodeToken(key, token, 'fp', 'nextToken', 1_000_000)).toEqual({ q: 'id-1', t: 'athena-next', f: 'fp', i: 1000 });
    expect(problemOf(() => decodeToken(Buffer.from('other'), token, 'fp', 'nextToken', 1_000_000)).type).toBe('invalid-token');
    expect(problemOf(() => decodeToken(key, token.replace(/^./, 'x'), 'fp', 'nextToken', 1_000_000)).type).toBe('invalid-token');
    expect(problemOf(() => decodeToken(key, `${token}.x`, 'fp', 'nextToken', 1_000_000)).type).toBe('invalid-token');
    expect(problemOf(() => decodeToken(key, token, 'other', 'nextToken', 1_000_000)).detail).toBe(
      'nextToken belongs to a different query; send it with the same path, filters, orderBy and limit as the request that returned it',
    );
    expect(problemOf(() => decodeToken(key, token, 'fp', 'nextToken', 1_000_000 + 86_401_000))).toEqual({ status: 400, type: 'expired-token', detail: 'nextToken expired (older than 24 h); start again without it' });
  });
});

describe('route table', () => {
  it('matches paths with parameters, and refuses repeated or undeclared parameters', () => {
    expect(matchRoute('GET', '/v1/datasets/daily_kpis/rows').pathParameters).toEqual({ name: 'daily_kpis' });
    expect(matchRoute('post', '/v1/ingest/prints/').route.operationId).toBe('ingest');
    expect(problemOf(() => validateRequest(matchRoute('GET', '/v1/datasets/x/rows'), { limit: ['1', '2'] })).detail).toBe("query parameter 'limit' is given 2 times; give it once");
    expect(problemOf(() => validateRequest(matchRoute('GET', '/v1/datasets'), { x: ['1'] })).detail).toBe("unknown query parameter(s) 'x' for GET /v1/datasets; accepted: none");
  });
});

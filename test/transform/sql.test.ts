import { DuckDBInstance } from '@duckdb/node-api';
import { parseContract } from '../../lambdas/shared/contracts';
import { cleanExpression, fastTypedExpression, reasonExpression, typedExpression } from '../../lambdas/transform/sql';
import { VALID_CONTRACT } from '../fixtures/contract-text';

/** A contract with one property per type and rule, to check every conversion and rule against DuckDB. */
const contract = parseContract(
  VALID_CONTRACT.replace(
    `      - name: target
        logicalType: string
        physicalType: string
        customProperties:
          - property: sourcePath
            value: event.target
`,
    `      - name: amount
        logicalType: number
        physicalType: decimal(10,2)
        logicalTypeOptions: {minimum: 0, maximum: 100}
      - name: ratio
        logicalType: number
        physicalType: double
        logicalTypeOptions: {exclusiveMinimum: 0}
      - name: flag
        logicalType: boolean
        physicalType: boolean
      - name: at
        logicalType: timestamp
        physicalType: timestamp
      - name: code
        logicalType: string
        physicalType: varchar(3)
        logicalTypeOptions: {pattern: "^[A-Z]+$", minLength: 2}
      - name: kind
        logicalType: string
        physicalType: string
        quality:
          - metric: invalidValues
            arguments: {validValues: [a, b]}
            mustBe: 0
      - name: extra
        logicalType: object
        physicalType: json
      - name: label
        logicalType: string
        physicalType: string
        required: true
`,
  ),
  'contracts/clicks.yaml',
);
const prop = (name: string) => contract.properties.find((p) => p.name === name)!;

async function evaluate(name: string, raw: string | null): Promise<{ value: unknown; reason: unknown; clean: unknown }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const p = prop(name);
  const literal = raw === null ? 'NULL' : `'${raw.replace(/'/g, "''")}'`;
  await c.run(`CREATE TEMP TABLE src AS SELECT NULL::VARCHAR AS _parse_error, ${literal}::VARCHAR AS "r_${p.name}"`);
  const [row] = (
    await c.runAndReadAll(`SELECT (${typedExpression(p)})::VARCHAR AS value, ${reasonExpression(p)} AS reason, coalesce(${cleanExpression(p)}, false) AS clean FROM src`)
  ).getRowObjectsJson();
  c.closeSync();
  return row as { value: unknown; reason: unknown; clean: unknown };
}

describe('type conversion and row rules, evaluated by DuckDB', () => {
  it.each<[string, string | null, string | null, string | null]>([
    ['user_id', '98702', '98702', null],
    ['user_id', ' 7 ', '7', null],
    ['user_id', '\t7\n', '7', null],
    ['user_id', '   ', null, 'user_id: missing required value'],
    ['user_id', '1_000', null, 'user_id: not an integer'],
    ['user_id', '1.5', null, 'user_id: not an integer'],
    ['user_id', '1e3', null, 'user_id: not an integer'],
    ['user_id', '99999999999999999999', null, 'user_id: not an integer'],
    ['user_id', null, null, 'user_id: missing required value'],
    ['user_id', '', null, 'user_id: missing required value'],
    ['day', '2020-11-01', '2020-11-01', null],
    ['day', '2020-13-01', null, 'day: not a date (YYYY-MM-DD)'],
    ['day', '01/11/2020', null, 'day: not a date (YYYY-MM-DD)'],
    ['amount', '7.04', '7.04', null],
    ['amount', ' 7.04 ', '7.04', null],
    ['amount', ' ', null, null],
    ['amount', '7.045', null, 'amount: not a decimal with at most 2 decimal places'],
    ['amount', '-1', '-1.00', 'amount: below the minimum 0'],
    ['amount', '100.01', '100.01', 'amount: above the maximum 100'],
    ['amount', null, null, null],
    ['ratio', '0', '0.0', 'ratio: not above 0'],
    ['ratio', 'abc', null, 'ratio: not a number'],
    ['ratio', ' 2.5 ', '2.5', null],
    ['flag', 'TRUE', 'true', null],
    ['flag', 'yes', null, 'flag: not a boolean (true or false)'],
    ['at', '2024-03-01T10:15:30.120-03:00', '2024-03-01 13:15:30.12', null],
    ['at', '2024-03-01T10:15:30Z', '2024-03-01 10:15:30', null],
    ['at', ' 2024-03-01T10:15:30Z ', '2024-03-01 10:15:30', null],
    ['at', '2024-03-01 10:15:30', null, 'at: no time zone (add Z or an offset such as -03:00)'],
    ['at', '2024-03-01T10:15:30', null, 'at: no time zone (add Z or an offset such as -03:00)'],
    ['at', '2024-03-01T10:15:30-25:00', null, 'at: offset outside ±18:00'],
    ['at', '2024-03-01T10:15:30+18:30', null, 'at: offset outside ±18:00'],
    ['at', '2024-03-01T10:15:30+19', null, 'at: offset outside ±18:00'],
    ['at', '2024-03-01T10:15:30+18:00', '2024-02-29 16:15:30', null],
    ['at', '2024-03-01T10:15:30-17:59', '2024-03-02 04:14:30', null],
    ['at', '2024-02-31T10:00:00Z', null, 'at: not an ISO-8601 timestamp'],
    ['at', '2023-02-29T10:00:00Z', null, 'at: not an ISO-8601 timestamp'],
    ['at', '2024-03-01T24:00:00Z', null, 'at: not an ISO-8601 timestamp'],
    ['at', '2024-03-01T10:60:00Z', null, 'at: not an ISO-8601 timestamp'],
    ['at', '2024-03-01', null, 'at: not an ISO-8601 timestamp'],
    ['at', '1709288130', null, 'at: not an ISO-8601 timestamp'],
    ['code', 'PEN', 'PEN', null],
    ['code', 'pen', 'pen', 'code: does not match ^[A-Z]+$'],
    ['code', 'P', 'P', 'code: shorter than 2 characters'],
    ['code', 'PENS', 'PENS', 'code: longer than 3 characters'],
    ['code', null, null, null],
    ['code', '  ', '  ', null],
    ['kind', 'a', 'a', null],
    ['kind', 'c', 'c', 'kind: not an accepted value (a, b)'],
    ['extra', '{"sku":"A-1"}', '{"sku":"A-1"}', null],
    ['extra', '[1,2]', null, 'extra: not a JSON object'],
  ])('%s = %j → %j, %j', async (name, raw, value, reason) => {
    // The single-pass clean check must agree with the reasons: clean exactly when there is no reason.
    expect(await evaluate(name, raw)).toEqual({ value, reason, clean: reason === null });
  });
});

/** The single pass's conversion of one raw value next to the full path's, on DuckDB. */
async function evaluateFast(name: string, raw: string | null): Promise<{ fastClean: unknown; fastValue: unknown; value: unknown; reason: unknown }> {
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  const p = prop(name);
  const literal = raw === null ? 'NULL' : `'${raw.replace(/'/g, "''")}'`;
  await c.run(`CREATE TEMP TABLE src AS SELECT NULL::VARCHAR AS _parse_error, ${literal}::VARCHAR AS "r_${p.name}"`);
  const fast = fastTypedExpression(p);
  const [row] = (
    await c.runAndReadAll(`SELECT coalesce(${cleanExpression(p, 't', { canonical: fast.canonical?.('t') })}, false) AS "fastClean", t::VARCHAR AS "fastValue", (${typedExpression(p)})::VARCHAR AS value, ${reasonExpression(p)} AS reason
      FROM (SELECT *, ${fast.typed} AS t FROM src)`)
  ).getRowObjectsJson();
  c.closeSync();
  return row as { fastClean: unknown; fastValue: unknown; value: unknown; reason: unknown };
}

describe('the single pass\'s conversions and checks', () => {
  // Clean in the single pass ⇒ clean on the full path with the same value. Valid text that is not
  // canonical is not clean here: such a file takes the full path, which accepts it.
  it.each<[string, string | null, boolean]>([
    ['user_id', '98702', true],
    ['user_id', '-98702', true],
    ['user_id', '0', true],
    ['user_id', ' 7 ', false],
    ['user_id', '+7', false],
    ['user_id', '007', false],
    ['user_id', '-0', false],
    ['user_id', '\t7\n', false],
    ['user_id', '7.0', false],
    ['user_id', '1.5', false],
    ['user_id', '1e3', false],
    ['user_id', '5e2', false],
    ['user_id', '1_000', false],
    ['user_id', '0x10', false],
    ['user_id', '0b101', false],
    ['user_id', '\u000b7', false],
    ['user_id', '99999999999999999999', false],
    ['user_id', '', false],
    ['user_id', null, false],
    ['day', '2020-11-01', true],
    ['day', '0999-01-01', true],
    ['day', ' 2020-11-01', false],
    ['day', '2020-1-1', false],
    ['day', '2020-11-01T10:00:00', false],
    ['day', '2020-11-01 10:00:00', false],
    ['day', '10000-01-01', false],
    ['day', '2020-11-01 (BC)', false],
    ['day', '-2020-11-01', false],
    ['day', 'infinity', false],
    ['day', 'epoch', false],
    ['day', '2020-02-30', false],
    ['day', '20201101', false],
    ['label', 'x', true],
    ['label', 'é', true],
    ['label', '!', true],
    ['label', ' x', false],
    ['label', '\tx', false],
    ['label', '   ', false],
    ['label', '', false],
    ['label', null, false],
    ['amount', '7.04', true],
    ['amount', '7.045', false],
    ['amount', null, true],
    ['code', '  ', true],
    ['code', 'pen', false],
  ])('%s = %j: clean in the single pass: %j', async (name, raw, fastClean) => {
    const r = await evaluateFast(name, raw);
    expect(r.fastClean).toBe(fastClean);
    if (fastClean) expect({ value: r.value, reason: r.reason }).toEqual({ value: r.fastValue, reason: null });
  });

  it('the full path accepts the valid text the single pass leaves to it', async () => {
    for (const [name, raw] of [['user_id', ' 7 '], ['user_id', '+7'], ['user_id', '007'], ['user_id', '-0'], ['day', ' 2020-11-01'], ['label', ' x'], ['label', '\tx']] as const) {
      expect((await evaluateFast(name, raw)).reason).toBeNull();
    }
  });
});

import { DuckDBInstance } from '@duckdb/node-api';
import { parseContract } from '../../lambdas/shared/contracts';
import { cleanExpression, reasonExpression, typedExpression } from '../../lambdas/transform/sql';
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
    ['at', '2024-03-01 10:15:30', '2024-03-01 10:15:30', null],
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

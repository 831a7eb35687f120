import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractError, formatIssue, loadContracts, parseContract } from '../../lambdas/shared/contracts';
import { VALID_CONTRACT, mutate } from '../fixtures/contract-text';

const FILE = 'contracts/clicks.yaml';

/** The formatted issues of a contract text; fails the test when it parses. */
function issuesOf(text: string, file = FILE): string[] {
  try {
    parseContract(text, file);
  } catch (e) {
    if (e instanceof ContractError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error('expected the contract to be rejected');
}

describe('a broken contract fails with the file, the line, the path inside it and the reason', () => {
  it('accepts the valid fixture', () => {
    const c = parseContract(VALID_CONTRACT, FILE);
    expect(c.name).toBe('clicks');
    expect(c.properties.map((p) => [p.name, p.type.glueType, p.sourcePath.join('.'), p.required])).toEqual([
      ['day', 'date', 'day', true],
      ['user_id', 'bigint', 'user_id', true],
      ['target', 'string', 'event.target', false],
    ]);
  });

  it.each<[string, string, string[]]>([
    [
      'unknown logical type',
      mutate('logicalType: integer', 'logicalType: bigint'),
      ['contracts/clicks.yaml:20:22 at /schema/0/properties/1/logicalType: unknown logicalType "bigint" (ODCS v3.1.0 schema) (fix: use one of string, integer, number, boolean, date, timestamp, object; put the storage type in physicalType)'],
    ],
    [
      'ODCS logical type the platform does not support',
      mutate('logicalType: string\n        physicalType: string', 'logicalType: time\n        physicalType: time'),
      ["contracts/clicks.yaml:24:22 at /schema/0/properties/2/logicalType: logicalType 'time' is not supported: a time of day without a date has no Parquet/Athena type that behaves the same in Trino and DuckDB; use string with a pattern, or timestamp"],
    ],
    [
      'property without a name',
      mutate('      - name: user_id\n', '      - description: no name\n'),
      ["contracts/clicks.yaml:19:9 at /schema/0/properties/1: missing required key 'name' (ODCS v3.1.0 schema)"],
    ],
    [
      'contract without a name',
      mutate('name: clicks\nversion', 'version'),
      ["contracts/clicks.yaml:1:1 at (document): missing required key 'name' (fix: add name: clicks)"],
    ],
    [
      'duplicate property',
      mutate('- name: target', '- name: user_id'),
      ["contracts/clicks.yaml:23:15 at /schema/0/properties/2/name: duplicate property 'user_id' (first defined at properties[1]) (fix: rename or remove one of them)"],
    ],
    [
      'unknown key',
      mutate('        required: true\n      - name: user_id', '        required: true\n        colour: red\n      - name: user_id'),
      ["contracts/clicks.yaml:19:17 at /schema/0/properties/0/colour: unknown key 'colour': it is not part of ODCS v3.1.0 (ODCS v3.1.0 schema)"],
    ],
    [
      'valid ODCS key the platform does not read',
      mutate('status: active', 'status: active\nservers:\n  - server: s3\n    type: s3\n    location: s3://x/y'),
      ["contracts/clicks.yaml:8:3 at /servers: 'servers' is valid ODCS but not supported on a contract by medallion-platform (fix: bucket locations come from the deployed stage, not from the contract; remove it)"],
    ],
    [
      'partitioned flag on a property',
      mutate('        required: true\n      - name: user_id', '        required: true\n        partitioned: true\n      - name: user_id'),
      ["contracts/clicks.yaml:19:22 at /schema/0/properties/0/partitioned: 'partitioned' is valid ODCS but not supported on a property by medallion-platform (fix: silver is always partitioned by the UTC date of the eventTimeColumn custom property; remove it)"],
    ],
    ['duplicate YAML key', mutate('status: active', 'status: active\nstatus: draft'), ["contracts/clicks.yaml:7:1 at (document): duplicate key 'status' in the same map"]],
    [
      'YAML syntax error',
      mutate('name: clicks\nversion', 'name: [clicks\nversion'),
      ['contracts/clicks.yaml:5:1 at (document): YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    [
      'physical type that does not fit the logical type',
      mutate('physicalType: bigint', 'physicalType: varchar(10)'),
      ["contracts/clicks.yaml:21:23 at /schema/0/properties/1/physicalType: physicalType 'varchar(10)' does not fit logicalType 'integer'; accepted: tinyint, smallint, int, bigint"],
    ],
    [
      'decimal precision out of range',
      mutate('logicalType: integer\n        physicalType: bigint', 'logicalType: number\n        physicalType: decimal(40,2)'),
      ['contracts/clicks.yaml:21:23 at /schema/0/properties/1/physicalType: decimal precision 40 is outside 1..38'],
    ],
    [
      'event-time column that is not a property',
      mutate('value: day', 'value: when'),
      ["contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: eventTimeColumn 'when' is not a property of the dataset (fix: use one of: day, user_id, target)"],
    ],
    [
      'event-time column that is not a date',
      mutate('value: day', 'value: user_id'),
      ["contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: eventTimeColumn 'user_id' is integer, not a date or timestamp"],
    ],
    [
      'PII column without protection',
      mutate('        physicalType: string\n', '        physicalType: string\n        classification: pii\n'),
      ["contracts/clicks.yaml:26:25 at /schema/0/properties/2/classification: property 'target' is classified pii but says nothing about how to protect it (fix: add customProperties: [{property: piiHandling, value: hmac-sha256}])"],
    ],
    [
      'CSV options on a JSON source',
      mutate('        value: ndjson\n', '        value: ndjson\n      - property: csvOptions\n        value: {delimiter: ";"}\n'),
      ['contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: csvOptions given for a ndjson source (fix: remove csvOptions)'],
    ],
    [
      'unknown custom property',
      mutate('property: sourcePath', 'property: source_path'),
      ["contracts/clicks.yaml:27:23 at /schema/0/properties/2/customProperties/0/property: unknown custom property 'source_path' (fix: use one of: sourcePath, piiHandling)"],
    ],
    [
      'older ODCS version',
      mutate('apiVersion: v3.1.0', 'apiVersion: v3.0.2'),
      ["contracts/clicks.yaml:1:13 at /apiVersion: apiVersion 'v3.0.2' is not read by medallion-platform (fix: write the contract in ODCS v3.1.0)"],
    ],
    [
      'unsupported source format',
      mutate('value: ndjson', 'value: parquet'),
      ['contracts/clicks.yaml:11:16 at /schema/0/customProperties/0/value: sourceFormat "parquet" is not supported (fix: use ndjson, json-array, csv (gzip is detected from the .gz suffix))'],
    ],
    [
      'name that differs from the file name',
      mutate('name: clicks\nversion', 'name: taps\nversion', VALID_CONTRACT),
      [
        "contracts/clicks.yaml:4:7 at /name: dataset name 'taps' does not match the file name 'clicks' (fix: rename the file to taps.yaml or the dataset to clicks)",
        "contracts/clicks.yaml:8:11 at /schema/0/name: schema[0].name 'clicks' differs from the contract name 'taps' (fix: set it to taps)",
      ],
    ],
  ])('%s', (_what, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });

  it('reports every problem of a file at once', () => {
    const text = mutate('physicalType: bigint', 'physicalType: text', mutate('value: day', 'value: when'));
    expect(issuesOf(text)).toEqual([
      "contracts/clicks.yaml:21:23 at /schema/0/properties/1/physicalType: physicalType 'text' does not fit logicalType 'integer'; accepted: tinyint, smallint, int, bigint",
      "contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: eventTimeColumn 'when' is not a property of the dataset (fix: use one of: day, target)",
    ]);
  });

  it('the error message lists every issue on its own line', () => {
    expect(() => parseContract(mutate('value: day', 'value: when'), FILE)).toThrow(
      "Invalid data contract (1 problem):\n  - contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: eventTimeColumn 'when' is not a property of the dataset (fix: use one of: day, user_id, target)",
    );
  });
});

describe('loadContracts', () => {
  it('checks every file of a folder and reports the problems of all of them together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    writeFileSync(join(dir, 'clicks.yaml'), mutate('logicalType: integer', 'logicalType: bigint'));
    writeFileSync(join(dir, 'views.yaml'), mutate('name: clicks\nversion', 'name: views\nversion', VALID_CONTRACT).replace('  - name: clicks', '  - name: views').replace('urn:test:clicks', 'urn:test:views').replace('value: day', 'value: when'));
    let error: unknown;
    try {
      loadContracts(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).issues.map((i) => [i.file.replace(/^.*[\\/]/, ''), i.path])).toEqual([
      ['clicks.yaml', '/schema/0/properties/1/logicalType'],
      ['views.yaml', '/schema/0/customProperties/1/value'],
    ]);
  });

  it('refuses two contracts with the same id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    writeFileSync(join(dir, 'clicks.yaml'), VALID_CONTRACT);
    writeFileSync(join(dir, 'views.yaml'), VALID_CONTRACT.replace('name: clicks\nversion', 'name: views\nversion').replace('  - name: clicks', '  - name: views'));
    expect(() => loadContracts(dir)).toThrow(/id 'urn:test:clicks' is also used by .*clicks\.yaml \(fix: give every contract its own id\)/);
  });

  it('refuses a folder without contracts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    expect(() => loadContracts(dir)).toThrow('no contract files (*.yaml) found');
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts, parseContract } from '../../lambdas/shared/contracts';
import { transformFile } from '../../lambdas/transform/engine';
import { Readable } from 'node:stream';
import { scanOptionsFor } from '../../lambdas/transform/limits';
import { materialize, UnreadableFileError } from '../../lambdas/transform/source-file';
import { mutate } from '../fixtures/contract-text';

/** A body as the network delivers it: chunks of 1000 bytes (the text is cut into pieces between chunks). */
const chunked = (text: string): Buffer[] => {
  const bytes = Buffer.from(text);
  return Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
};

const arrayContract = parseContract(mutate('value: ndjson', 'value: json-array'), 'contracts/clicks.yaml');
const lineage = { sourceKey: 'clicks/a.json', sourceVersion: 'v1', fileId: 'f1', ingestedAt: '2024-01-01T00:00:00Z' };

function run(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'));
  writeFileSync(join(dir, 'in.json'), text);
  return { dir, result: transformFile({ contract: arrayContract, textPath: join(dir, 'in.json'), lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01' }) };
}

describe('JSON-array sources', () => {
  it('reads every element, quarantines the bad ones with their original text', async () => {
    const { result } = run(JSON.stringify([
      { day: '2020-11-01', user_id: 1, event: { target: 'a' } },
      { day: '2020-11-01', user_id: 'x', event: { target: 'b' } },
      'not an object',
      { day: '2020-11-02', user_id: 2 },
    ]));
    const r = await result;
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined, reasons: r.reasons }).toEqual({
      rowsIn: 4,
      rowsValid: 2,
      rowsQuarantined: 2,
      reasons: { 'not a JSON object': 1, 'user_id: not an integer': 1 },
    });
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 1], ['2020-11-02', 1]]);
    const unknown = r.quarantine.find((p) => p.dt === 'unknown')!;
    expect(JSON.parse(readFileSync(unknown.files[0], 'utf8'))).toEqual({ source_key: 'clicks/a.json', source_version: 'v1', line: 3, reasons: ['not a JSON object'], record: '"not an object"' });
  });

  it('a file that is not a JSON array at all is unreadable as a whole', async () => {
    const { result } = run('{"day": "2020-11-01"');
    await expect(result).rejects.toThrow(UnreadableFileError);
    await expect(run('{"day": "2020-11-01"').result).rejects.toThrow(/^cannot read the file as json-array: Invalid Input Error/);
  });
});

describe('single pass for clean JSON files', () => {
  const contracts = new Map(loadContracts().map((c) => [c.name, c]));
  async function transform(dataset: string, lines: unknown[]) {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    writeFileSync(join(dir, 'in.json'), lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
    return transformFile({ contract: contracts.get(dataset)!, textPath: join(dir, 'in.json'), lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01' });
  }
  async function transformText(dataset: string, text: string) {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    writeFileSync(join(dir, 'in.csv'), text);
    return transformFile({ contract: contracts.get(dataset)!, textPath: join(dir, 'in.csv'), lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01' });
  }
  const print = (day: string, user_id: number) => ({ day, event_data: { position: 1, value_prop: 'point' }, user_id });
  /** Prints lines decoded as the Lambda does (in 4 KB pieces), then transformed. */
  async function transformPieces(lines: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    const source = await materialize(Readable.from(chunked(`${lines.join('\n')}\n`)), join(dir, 'source.txt'), { scan: scanOptionsFor(contracts.get('prints')!), pieceBytes: 4096 });
    const r = await transformFile({ contract: contracts.get('prints')!, textPath: source.path, pieces: source.pieces, lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01' });
    return { source, r };
  }

  it('a clean file is written in one pass, with the counts of every partition', async () => {
    const r = await transform('prints', [print('2020-11-01', 1), print('2020-11-02', 2), print('2020-11-01', 3)]);
    expect(r.readPath).toBe('single-pass');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined, rowsSuperseded: r.rowsSuperseded }).toEqual({ rowsIn: 3, rowsValid: 3, rowsQuarantined: 0, rowsSuperseded: 0 });
    expect(r.silver.map((p) => [p.dt, p.rows, p.files.map((f) => f.split('/').slice(-2).join('/'))])).toEqual([
      ['2020-11-01', 2, ['dt=2020-11-01/part_0.parquet']],
      ['2020-11-02', 1, ['dt=2020-11-02/part_0.parquet']],
    ]);
  });

  it('writes the lineage columns as plain UTF-8 strings and the ingestion time as a timestamp, as the Glue table declares', async () => {
    const r = await transform('prints', [print('2020-11-01', 1)]);
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const schema = (await c.runAndReadAll(`SELECT name, type, converted_type FROM parquet_schema('${r.silver[0].files[0]}') WHERE name LIKE '\\_%' ESCAPE '\\'`)).getRowsJson();
    const values = (await c.runAndReadAll(`SELECT _source_key, _source_version, _file_id, CAST(_ingested_at AS VARCHAR) FROM '${r.silver[0].files[0]}'`)).getRowsJson();
    c.closeSync();
    expect(schema).toEqual([
      ['_source_key', 'BYTE_ARRAY', 'UTF8'],
      ['_source_version', 'BYTE_ARRAY', 'UTF8'],
      ['_file_id', 'BYTE_ARRAY', 'UTF8'],
      ['_ingested_at', 'INT64', 'TIMESTAMP_MICROS'],
    ]);
    expect(values).toEqual([['clicks/a.json', 'v1', 'f1', '2024-01-01 00:00:00']]);
  });

  it.each<[string, unknown, string]>([
    ['a row that breaks a rule', { ...print('2020-11-02', 2), event_data: { position: -1, value_prop: 'point' } }, 'sieve'],
    ['a malformed line', '{"day": "2020-11-02", ', 'full'],
    ['two objects on one line (one record, invalid JSON)', `${JSON.stringify(print('2020-11-02', 2))}${JSON.stringify(print('2020-11-02', 4))}`, 'full'],
    ['an event before the projection start', print('1999-12-31', 2), 'sieve'],
  ])('%s: the sieve sets it aside (or the full path reads the file), and nothing of a first attempt is left', async (_case, bad, path) => {
    const r = await transform('prints', [print('2020-11-01', 1), bad, print('2020-11-03', 3)]);
    expect(r.readPath).toBe(path);
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined }).toEqual({ rowsIn: 3, rowsValid: 2, rowsQuarantined: 1 });
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 1], ['2020-11-03', 1]]);
  });

  it('valid integers and dates in a form other than their canonical text are set aside by the sieve, then ingested', async () => {
    const r = await transform('prints', [
      print('2020-11-01', 1),
      '{"day": "2020-11-02", "event_data": {"position": "+1", "value_prop": "point"}, "user_id": " 007"}',
    ]);
    expect(r.readPath).toBe('sieve');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined }).toEqual({ rowsIn: 2, rowsValid: 2, rowsQuarantined: 0 });
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await c.runAndReadAll(`SELECT CAST(day AS VARCHAR), user_id, position FROM '${r.silver[1].files[0]}'`)).getRowsJson();
    c.closeSync();
    expect(rows).toEqual([['2020-11-02', '7', 1]]);
  });

  it('with a primary key, the last row of a key wins and the superseded ones are counted', async () => {
    const event = (event_id: string, event_type: string, timestamp: string) => ({ event_id, session_id: 's-1', user_id: 'u-1', event_type, timestamp });
    const r = await transform('events', [
      event('e-1', 'login', '2024-03-01T10:00:00Z'),
      event('e-2', 'search', '2024-03-01T10:01:00Z'),
      event('e-1', 'logout', '2024-03-02T00:30:00+02:00'),
    ]);
    expect(r.readPath).toBe('single-pass');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsSuperseded: r.rowsSuperseded }).toEqual({ rowsIn: 3, rowsValid: 3, rowsSuperseded: 1 });
    // The later e-1 (2024-03-01 22:30 UTC) replaced the first one: both rows are on 2024-03-01.
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2024-03-01', 2]]);
  });

  it('a clean CSV file takes the single pass too', async () => {
    const r = await transformText('pays', 'pay_date,total,user_id,value_prop\n2020-11-01,7.04,1,point\n2020-11-02,0.50,2,link_cobro\n');
    expect(r.readPath).toBe('single-pass');
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 1], ['2020-11-02', 1]]);
  });

  it('a CSV record the reader sets aside sends the file down the full path, which counts and quarantines it', async () => {
    const r = await transformText('pays', 'pay_date,total,user_id,value_prop\n2020-11-01,7.04,1,point\n2020-11-02,0.50,2\n2020-11-03,1.00,3,point\n');
    expect(r.readPath).toBe('full');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined, reasons: r.reasons }).toEqual({
      rowsIn: 3,
      rowsValid: 2,
      rowsQuarantined: 1,
      reasons: { 'wrong CSV column count': 1 },
    });
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 1], ['2020-11-03', 1]]);
  });

  it('the sieve over pieces reads again only the pieces with set-aside rows, with their lines numbered in the whole file', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 400; i++) lines.push(JSON.stringify(print('2020-11-01', i)));
    lines[49] = JSON.stringify({ ...print('2020-11-01', 50), event_data: { position: -5, value_prop: 'point' } });
    lines[299] = '{"day": "2020-11-01", "event_data": {"position": "+1", "value_prop": "point"}, "user_id": 300}';
    lines.splice(100, 0, '', '   ');
    const { source, r } = await transformPieces(lines);
    expect(source.pieces.length).toBeGreaterThan(5);
    expect(r.readPath).toBe('sieve');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined, reasons: r.reasons }).toEqual({
      rowsIn: 400,
      rowsValid: 399,
      rowsQuarantined: 1,
      reasons: { 'position: below the minimum 0': 1 },
    });
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 399]]);
    const [q] = r.quarantine;
    expect(JSON.parse(readFileSync(q.files[0], 'utf8')).line).toBe(50);
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const users = (await c.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT user_id)::INTEGER, sum(user_id)::INTEGER FROM read_parquet([${r.silver[0].files.map((f) => `'${f}'`).join(', ')}])`)).getRowsJson();
    c.closeSync();
    // Every valid row once: 1..400 without 50.
    expect(users).toEqual([[399, 399, (400 * 401) / 2 - 50]]);
  });

  it('over pieces, a malformed line sends the file down the full path, with every line numbered in the whole file', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify(print('2020-11-01', i + 1)));
    lines[249] = '{"day": ';
    const { source, r } = await transformPieces(lines);
    expect(source.pieces.length).toBeGreaterThan(3);
    expect(r.readPath).toBe('full');
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined }).toEqual({ rowsIn: 300, rowsValid: 299, rowsQuarantined: 1 });
    expect(JSON.parse(readFileSync(r.quarantine[0].files[0], 'utf8'))).toMatchObject({ line: 250, reasons: ['invalid JSON'], record: '{"day": ' });
  });
});

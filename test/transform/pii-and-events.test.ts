import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseContract } from '../../lambdas/shared/contracts';
import { transformFile } from '../../lambdas/transform/engine';
import { hmacPads } from '../../lambdas/transform/pii-key';
import { objectsOf } from '../../lambdas/transform/s3-event';
import { hmacSha256Expression, sqlString } from '../../lambdas/transform/sql';
import { VALID_CONTRACT } from '../fixtures/contract-text';

describe('HMAC-SHA256 computed inside DuckDB', () => {
  it.each([
    ['a 32-byte key', 'k'.repeat(32), 'ana@example.com'],
    ['a key longer than the 64-byte block', 'x'.repeat(100), 'bob@example.com'],
    ['a non-ASCII value', 'secret-key-secret-key-secret-key', 'josé.núñez@example.com'],
  ])('matches Node crypto for %s', async (_what, key, value) => {
    const pads = hmacPads(Buffer.from(key));
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const rows = (await connection.runAndReadAll(`SELECT ${hmacSha256Expression(sqlString(value), pads.innerPadHex, pads.outerPadHex)} AS h`)).getRows();
    expect(rows[0][0]).toBe(createHmac('sha256', key).update(value).digest('hex'));
    connection.closeSync();
  });
});

describe('S3 notifications in SQS messages', () => {
  it('reads bucket, decoded key, version and ETag of created objects', () => {
    const body = JSON.stringify({
      Records: [
        { eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'prints/2020-11-01+copy%C3%A9.json', versionId: 'v1', eTag: 'e1' } } },
        { eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'b' }, object: { key: 'prints/x.json' } } },
      ],
    });
    expect(objectsOf(body)).toEqual([{ bucket: 'b', key: 'prints/2020-11-01 copyé.json', versionId: 'v1', eTag: 'e1' }]);
  });

  it('ignores the test event S3 sends when a notification is configured', () => {
    expect(objectsOf(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' }))).toEqual([]);
  });

  it('refuses a body that is not an S3 notification, naming what it got', () => {
    expect(() => objectsOf('hello')).toThrow('message body is not JSON: hello');
    expect(() => objectsOf('{"foo":1}')).toThrow('message is not an S3 event notification: {"foo":1}');
  });
});

describe('PII in the quarantine of a JSON source', () => {
  // The test contract with its `event.target` text declared PII.
  const contract = parseContract(
    VALID_CONTRACT.replace(
      '        customProperties:\n          - property: sourcePath\n            value: event.target',
      '        classification: pii\n        customProperties:\n          - property: sourcePath\n            value: event.target\n          - property: piiHandling\n            value: hmac-sha256',
    ),
    'contracts/clicks.yaml',
  );
  const key = 'k'.repeat(32);
  const lineage = { sourceKey: 'clicks/a.json', sourceVersion: 'v1', fileId: 'f1', ingestedAt: '2024-01-01T00:00:00Z' };

  it('keeps a parsed row with its PII hashed and an unparsable one by position only; no clear value anywhere', async () => {
    expect(contract.properties.find((p) => p.name === 'target')!.pii).toBe('hmac-sha256');
    const dir = mkdtempSync(join(tmpdir(), 'pii-'));
    const lines = [
      JSON.stringify({ day: '2020-11-01', user_id: 1, event: { target: 'secret-ok' } }),
      JSON.stringify({ day: '2020-11-01', user_id: 'x', event: { target: 'secret-rule' } }),
      '{"day": "2020-11-01", "user_id": 3, "event": {"target": "secret-broken"',
      JSON.stringify({ day: '2099-01-01', user_id: 4, event: { target: 'secret-future' } }),
    ];
    writeFileSync(join(dir, 'in.json'), `${lines.join('\n')}\n`);
    const r = await transformFile({ contract, textPath: join(dir, 'in.json'), lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01', pii: hmacPads(Buffer.from(key)) });
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined }).toEqual({ rowsIn: 4, rowsValid: 1, rowsQuarantined: 3 });
    const records = r.quarantine.flatMap((q) => q.files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    expect(JSON.stringify(records)).not.toMatch(/secret-/);
    const byLine = Object.fromEntries(records.map((x) => [x.line as number, x]));
    const hash = (v: string) => createHmac('sha256', key).update(v).digest('hex');
    expect(JSON.parse(byLine[2].record as string)).toEqual({ day: '2020-11-01', user_id: 'x', target: hash('secret-rule') });
    expect(byLine[3]).toMatchObject({ reasons: ['invalid JSON'], record: null, withheld: expect.stringMatching(/^withheld: clicks has PII columns \(target\)/) });
    expect(JSON.parse(byLine[4].record as string)).toMatchObject({ target: hash('secret-future') });
  });
});

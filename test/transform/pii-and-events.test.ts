import { createHmac } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { hmacPads } from '../../lambdas/transform/pii-key';
import { objectsOf } from '../../lambdas/transform/s3-event';
import { hmacSha256Expression, sqlString } from '../../lambdas/transform/sql';

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

import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MANIFEST_COLUMNS, manifestKey } from '../../lambdas/shared/manifest';
import { fileIdOf } from '../../lambdas/transform/process-object';
import { pumpOnce } from '../../local/sqs-pump';
import { ndjson, printRecord } from '../fixtures/records';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.close();
});

const silver = () => e2e.platform.buckets.silver;
const quarantine = () => e2e.platform.buckets.quarantine;
const summary = (m: { status: string; rows_in: number; rows_valid: number; rows_quarantined: number; reasons: Record<string, number> }) => ({
  status: m.status,
  rows_in: m.rows_in,
  rows_valid: m.rows_valid,
  rows_quarantined: m.rows_quarantined,
  reasons: m.reasons,
});

describe('bronze → silver through the emulator', () => {
  it('prints: NDJSON with nested fields becomes typed Parquet partitioned by day, with lineage', async () => {
    const [m] = await e2e.ingest({
      'prints/2020-11-01.json': ndjson(printRecord('2020-11-01', 98702, { valueProp: 'cellphone_recharge', position: 0 }), printRecord('2020-11-02', 5, { position: 3 }), printRecord('2020-11-01', 98702, { valueProp: 'cellphone_recharge', position: 0 })),
    });
    expect(summary(m)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 3, rows_quarantined: 0, reasons: {} });
    const id = m.file_id;
    // Every silver object of this file (other tests' prints have other file ids).
    expect((await e2e.keys(silver(), 'prints/')).filter((k) => k.includes(id))).toEqual([`prints/dt=2020-11-01/${id}.parquet`, `prints/dt=2020-11-02/${id}.parquet`]);
    expect(m.partitions.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 2], ['2020-11-02', 1]]);
    const rows = await e2e.parquet(`prints/dt=2020-11-01/${id}.parquet`, 'SELECT day::VARCHAR AS day, user_id, value_prop, position, _source_key, _file_id, _source_version IS NOT NULL AS has_version FROM t');
    expect(rows).toEqual([
      { day: '2020-11-01', user_id: '98702', value_prop: 'cellphone_recharge', position: 0, _source_key: 'prints/2020-11-01.json', _file_id: id, has_version: true },
      { day: '2020-11-01', user_id: '98702', value_prop: 'cellphone_recharge', position: 0, _source_key: 'prints/2020-11-01.json', _file_id: id, has_version: true },
    ]);
    const types = await e2e.parquet(`prints/dt=2020-11-01/${id}.parquet`, "SELECT column_name, column_type FROM (DESCRIBE t)");
    expect(types.map((r) => `${r.column_name}:${r.column_type}`)).toEqual([
      'day:DATE', 'user_id:BIGINT', 'value_prop:VARCHAR', 'position:INTEGER', '_source_key:VARCHAR', '_source_version:VARCHAR', '_file_id:VARCHAR', '_ingested_at:TIMESTAMP',
    ]);
  });

  it('pays: CSV with decimals', async () => {
    const [m] = await e2e.ingest({ 'pays/2020-11-01.csv': 'pay_date,total,user_id,value_prop\n2020-11-01,7.04,35994,link_cobro\n2020-11-01,10,1,point\n' });
    expect(summary(m)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0, reasons: {} });
    // The manifest has exactly the columns of the Glue table over it, in order.
    expect(Object.keys(JSON.parse(await e2e.text(silver(), manifestKey(m.file_id))))).toEqual(MANIFEST_COLUMNS.map(([name]) => name));
    expect(await e2e.parquet(m.partitions[0].key, 'SELECT total::VARCHAR AS total, user_id FROM t')).toEqual([
      { total: '7.04', user_id: '35994' },
      { total: '10.00', user_id: '1' },
    ]);
  });

  it('events: timestamps with offsets are stored in UTC and partitioned by UTC date; properties kept as JSON; last duplicate event_id wins', async () => {
    const [m] = await e2e.ingest({
      'events/2024-03-01.json': ndjson(
        { event_id: 'e-1', session_id: 's-1', user_id: 'u-1', event_type: 'add_to_cart', timestamp: '2024-03-01T22:15:30.120-03:00', device: 'mobile', properties: { sku: 'A-1', qty: 2 } },
        { event_id: 'e-2', session_id: 's-1', user_id: 'u-1', event_type: 'login', timestamp: '2024-03-01T10:00:00Z' },
        { event_id: 'e-1', session_id: 's-1', user_id: 'u-1', event_type: 'checkout', timestamp: '2024-03-01T22:15:31-03:00', device: 'mobile' },
      ),
    });
    expect(summary(m)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 3, rows_quarantined: 0, reasons: {} });
    expect(m.rows_superseded).toBe(1);
    expect(m.partitions.map((p) => [p.dt, p.rows])).toEqual([['2024-03-01', 1], ['2024-03-02', 1]]);
    expect(await e2e.parquet(m.partitions[1].key, "SELECT event_id, event_type, strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%g') AS ts, properties FROM t")).toEqual([
      { event_id: 'e-1', event_type: 'checkout', ts: '2024-03-02T01:15:31.000', properties: null },
    ]);
    expect(await e2e.parquet(m.partitions[0].key, 'SELECT event_id, device, properties FROM t')).toEqual([{ event_id: 'e-2', device: null, properties: null }]);
  });

  it('transactions and users: CSV with patterns, enums and the e-mail replaced by its HMAC-SHA256', async () => {
    const [t, u] = await e2e.ingest({
      'transactions/2024-03-01.csv': 'transaction_id,session_id,user_id,amount,currency,status,timestamp\nt-1,s-1,u-1,19.90,USD,completed,2024-03-01T10:20:00Z\n',
      'users/2024-03-01.csv': 'user_id,email,country,device,signup_date,updated_at\nu-0042,ana@example.com,PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n',
    });
    expect(summary(t)).toEqual({ status: 'ingested', rows_in: 1, rows_valid: 1, rows_quarantined: 0, reasons: {} });
    expect(summary(u)).toEqual({ status: 'ingested', rows_in: 1, rows_valid: 1, rows_quarantined: 0, reasons: {} });
    const secrets = new SecretsManagerClient({ endpoint: e2e.platform.emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const key = (await secrets.send(new GetSecretValueCommand({ SecretId: e2e.platform.handlerEnv.PII_KEY_SECRET_ID }))).SecretString!;
    secrets.destroy();
    const [row] = await e2e.parquet(u.partitions[0].key, 'SELECT user_id, email, country, signup_date::VARCHAR AS signup_date FROM t');
    expect(row).toEqual({ user_id: 'u-0042', email: createHmac('sha256', key).update('ana@example.com').digest('hex'), country: 'PE', signup_date: '2023-12-24' });
    expect(JSON.stringify(await e2e.parquet(u.partitions[0].key))).not.toContain('ana@example.com');
  });

  it('every defect is quarantined with its reason and the original values; rows_in = rows_valid + rows_quarantined', async () => {
    const [m] = await e2e.ingest({
      'events/dirty.json': ndjson(
        { event_id: 'e-10', session_id: 's-2', user_id: 'u-2', event_type: 'login', timestamp: '2024-03-05T10:00:00Z' },
        { event_id: 'e-11', session_id: 's-2', user_id: 'u-2', event_type: 'hover', timestamp: '2024-03-05T10:00:01Z' },
        { event_id: 'e-12', user_id: 'u-2', event_type: 'login', timestamp: '2024-03-05T10:00:02Z' },
        '{"event_id": "e-13", "session_id": ',
        { event_id: 'e-14', session_id: 's-2', user_id: 'u-2', event_type: 'login', timestamp: 'yesterday' },
        { event_id: 'e-15', session_id: 's-2', user_id: 'u-2', event_type: 'login', timestamp: '2024-03-05T10:00:03Z', properties: 'not an object' },
      ),
    });
    expect(summary(m)).toEqual({
      status: 'ingested',
      rows_in: 6,
      rows_valid: 1,
      rows_quarantined: 5,
      reasons: {
        'event_type: not an accepted value (page_view, search, add_to_cart, checkout, purchase, login, logout)': 1,
        'invalid JSON': 1,
        'properties: not a JSON object': 1,
        'session_id: missing required value': 1,
        'timestamp: not an ISO-8601 timestamp': 1,
      },
    });
    const q = await e2e.text(quarantine(), `events/dt=2024-03-05/${m.file_id}.jsonl`);
    expect(q.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { source_key: 'events/dirty.json', source_version: expect.any(String), line: 2, reasons: ['event_type: not an accepted value (page_view, search, add_to_cart, checkout, purchase, login, logout)'], record: JSON.stringify({ event_id: 'e-11', session_id: 's-2', user_id: 'u-2', event_type: 'hover', timestamp: '2024-03-05T10:00:01Z' }) },
      { source_key: 'events/dirty.json', source_version: expect.any(String), line: 3, reasons: ['session_id: missing required value'], record: JSON.stringify({ event_id: 'e-12', user_id: 'u-2', event_type: 'login', timestamp: '2024-03-05T10:00:02Z' }) },
      { source_key: 'events/dirty.json', source_version: expect.any(String), line: 6, reasons: ['properties: not a JSON object'], record: JSON.stringify({ event_id: 'e-15', session_id: 's-2', user_id: 'u-2', event_type: 'login', timestamp: '2024-03-05T10:00:03Z', properties: 'not an object' }) },
    ]);
    const unknown = await e2e.text(quarantine(), `events/dt=unknown/${m.file_id}.jsonl`);
    expect(unknown.trim().split('\n').map((l) => JSON.parse(l).reasons)).toEqual([['invalid JSON'], ['timestamp: not an ISO-8601 timestamp']]);
  });

  it('CSV defects: wrong column count, bad type, bad pattern; BOM and CRLF are read', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('transaction_id,session_id,user_id,amount,currency,status,timestamp\r\nt-1,s-1,u-1,19.90,USD,completed,2024-03-01T10:20:00Z\r\nt-2,s-1,u-1,abc,USD,completed,2024-03-01T10:21:00Z\r\nt-3,s-1,u-1,1.00,usd,completed,2024-03-01T10:22:00Z\r\nt-4,s-1,u-1,1.00\r\nt-5,s-1,u-1,-2.00,USD,failed,2024-03-01T10:23:00Z\r\n'),
    ]);
    const [m] = await e2e.ingest({ 'transactions/windows.csv': body });
    expect(summary(m)).toEqual({
      status: 'ingested',
      rows_in: 5,
      rows_valid: 1,
      rows_quarantined: 4,
      reasons: {
        'amount: below the minimum 0': 1,
        'amount: not a decimal with at most 2 decimal places': 1,
        'currency: does not match ^[A-Z]{3}$': 1,
        'wrong CSV column count': 1,
      },
    });
    const rejected = JSON.parse((await e2e.text(quarantine(), `transactions/dt=unknown/${m.file_id}.jsonl`)).trim());
    expect(rejected).toEqual({ source_key: 'transactions/windows.csv', source_version: expect.any(String), line: 5, reasons: ['wrong CSV column count: Expected Number of Columns: 7 Found: 4'], record: 't-4,s-1,u-1,1.00' });
    const typed = (await e2e.text(quarantine(), `transactions/dt=2024-03-01/${m.file_id}.jsonl`)).trim().split('\n').map((l) => JSON.parse(l));
    expect(typed[0]).toEqual({
      source_key: 'transactions/windows.csv',
      source_version: expect.any(String),
      line: 3,
      reasons: ['amount: not a decimal with at most 2 decimal places'],
      record: { transaction_id: 't-2', session_id: 's-1', user_id: 'u-1', amount: 'abc', currency: 'USD', status: 'completed', timestamp: '2024-03-01T10:21:00Z' },
    });
  });

  it('gzip files are read; empty and unreadable files are quarantined whole', async () => {
    const [gz, empty, badGz, header] = await e2e.ingest({
      'taps/2020-11-03.json.gz': gzipSync(ndjson(printRecord('2020-11-03', 1, { position: 0 }), printRecord('2020-11-03', 2, { position: 1 }))),
      'taps/empty.json': '',
      'taps/broken.json.gz': Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('this is not gzip')]),
      'pays/wrong-header.csv': 'date,amount,user,vp\n2020-11-01,1.00,1,point\n',
    });
    expect(summary(gz)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0, reasons: {} });
    expect(summary(empty)).toEqual({ status: 'quarantined', rows_in: 0, rows_valid: 0, rows_quarantined: 0, reasons: { 'unreadable file: empty file: no rows': 0 } });
    expect(badGz.status).toBe('quarantined');
    expect(badGz.error).toMatch(/^not a valid gzip file: /);
    expect(badGz.rows_in).toBe(1);
    expect(summary(header)).toEqual({
      status: 'quarantined',
      rows_in: 1,
      rows_valid: 0,
      rows_quarantined: 1,
      reasons: { 'unreadable file: CSV header is "date,amount,user,vp" but the contract expects "pay_date,total,user_id,value_prop" in this order': 1 },
    });
    expect(JSON.parse(await e2e.text(quarantine(), `pays/dt=unknown/${header.file_id}.jsonl`))).toEqual({
      source_key: 'pays/wrong-header.csv',
      source_version: expect.any(String),
      line: null,
      reasons: ['unreadable file: CSV header is "date,amount,user,vp" but the contract expects "pay_date,total,user_id,value_prop" in this order'],
      record: null,
      whole_file: true,
    });
  });

  it('a key outside every contract is rejected and acknowledged, not retried', async () => {
    const [m] = await e2e.ingest({ 'clicks/2020-11-01.json': '{"a":1}\n' });
    expect(m.status).toBe('rejected');
    expect(m.error).toBe("no contract for dataset 'clicks' (key 'clicks/2020-11-01.json'); known datasets: events, pays, prints, taps, transactions, users. Add contracts/clicks.yaml or move the file under a known prefix");
    expect(await pumpOnce(e2e.platform, e2e.handler, 0)).toEqual({ received: 0, failed: 0 });
  });

  it('a byte-identical file is a duplicate and ingests nothing', async () => {
    const body = ndjson(printRecord('2020-11-09', 1, { valueProp: 'transport', position: 0 }));
    const [first] = await e2e.ingest({ 'prints/2020-11-09.json': body });
    const [second] = await e2e.ingest({ 'prints/2020-11-09-again.json': body });
    expect(first.status).toBe('ingested');
    expect({ status: second.status, duplicate_of: second.duplicate_of, rows_in: second.rows_in }).toEqual({ status: 'duplicate', duplicate_of: 'prints/2020-11-09.json', rows_in: 0 });
    expect(await e2e.keys(silver(), 'prints/dt=2020-11-09/')).toEqual([`prints/dt=2020-11-09/${first.file_id}.parquet`]);
  });

  it('a redelivered notification rewrites the same objects: nothing is appended or double-counted', async () => {
    const [m] = await e2e.ingest({ 'prints/2020-11-10.json': ndjson(printRecord('2020-11-10', 1, { valueProp: 'transport', position: 0 }), printRecord('2020-11-10', 2, { valueProp: 'transport', position: 1 })) });
    const before = await e2e.keys(silver(), 'prints/dt=2020-11-10/');
    const ref = { bucket: e2e.platform.buckets.bronze, key: 'prints/2020-11-10.json', eTag: m.etag! };
    await e2e.platform.sqs.send(
      new SendMessageCommand({
        QueueUrl: e2e.platform.queueUrl,
        MessageBody: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: ref.bucket }, object: { key: ref.key, eTag: ref.eTag } } }] }),
      }),
    );
    expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 1, failed: 0 });
    expect(await e2e.keys(silver(), 'prints/dt=2020-11-10/')).toEqual(before);
    expect(await e2e.parquet(before[0], 'SELECT count(*)::INTEGER AS n FROM t')).toEqual([{ n: 2 }]);
    const again = JSON.parse(await e2e.text(silver(), manifestKey(fileIdOf(ref))));
    expect(summary(again)).toEqual(summary(m));
  });

  it('a transient S3 failure fails the record, which SQS redelivers until it succeeds', async () => {
    const late = `medallion-dev-late-${Date.now()}`;
    const ref = { bucket: late, key: 'prints/2020-11-11.json', eTag: 'will-be-known' };
    await e2e.platform.sqs.send(
      new SendMessageCommand({
        QueueUrl: e2e.platform.queueUrl,
        MessageBody: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: late }, object: { key: ref.key } } }] }),
      }),
    );
    expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 1, failed: 1 });
    await e2e.platform.s3.send(new CreateBucketCommand({ Bucket: late }));
    await e2e.platform.s3.send(new PutObjectCommand({ Bucket: late, Key: ref.key, Body: Buffer.from(ndjson(printRecord('2020-11-11', 1, { position: 0 }))) }));
    expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 1, failed: 0 });
    const manifest = JSON.parse(await e2e.text(silver(), manifestKey(fileIdOf({ bucket: late, key: ref.key }))));
    expect(summary(manifest)).toEqual({ status: 'ingested', rows_in: 1, rows_valid: 1, rows_quarantined: 0, reasons: {} });
  });

  it('a message that fails every time moves to the dead-letter queue after maxReceiveCount receives', async () => {
    const body = `not an S3 notification (${randomUUID()})`;
    await e2e.platform.sqs.send(new SendMessageCommand({ QueueUrl: e2e.platform.queueUrl, MessageBody: body }));
    const max = e2e.platform.config.ingest.maxReceiveCount;
    for (let i = 0; i < max; i++) expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 1, failed: 1 });
    expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 0, failed: 0 });
    // Once in the dead-letter queue (which other tests' messages may reach too).
    const { Messages = [] } = await e2e.platform.sqs.send(new ReceiveMessageCommand({ QueueUrl: e2e.platform.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(Messages.map((m) => m.Body).filter((b) => b === body)).toEqual([body]);
  });
});

/**
 * The data promises on hostile input, through the emulator with the real handler: every record accounted
 * for (rows_in = rows_valid + rows_quarantined, never below the records a file holds), nothing counted
 * twice, no clear PII outside bronze, a precise reason for everything rejected.
 */
import { gzipSync } from 'node:zlib';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { RunManifest } from '../../lambdas/shared/manifest';
import { manifestKey } from '../../lambdas/shared/manifest';
import { loadContracts } from '../../lambdas/shared/contracts';
import { fileIdOf } from '../../lambdas/transform/keys';
import { processObject, type TransformDeps } from '../../lambdas/transform/process-object';
import { processUntilDone } from '../../local/ingest';
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
const counts = (m: RunManifest) => ({ status: m.status, rows_in: m.rows_in, rows_valid: m.rows_valid, rows_quarantined: m.rows_quarantined });

/** Every object of a bucket under a prefix, as text. */
async function allText(bucket: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await e2e.platform.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      out[o.Key!] = await (await e2e.platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString('utf8');
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function quarantineRecords(dataset: string, fileId: string): Promise<Record<string, unknown>[]> {
  const texts = await allText(quarantine(), `${dataset}/`);
  return Object.entries(texts)
    .filter(([key]) => key.includes(fileId))
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([, text]) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
}

/** Puts one version of a key and processes it. */
async function deliver(key: string, body: string | Buffer): Promise<RunManifest> {
  const [m] = await e2e.ingest({ [key]: body });
  return m;
}

describe('every record is accounted for', () => {
  it('a line too long to read is a quarantined row with its reason, in plain and gzipped files', async () => {
    const huge = JSON.stringify(printRecord('2020-12-01', 1, { position: 'x'.repeat(9 * 1024 * 1024) }));
    for (const [key, body] of [['prints/huge.json', ndjson(printRecord('2020-12-01', 1), huge, printRecord('2020-12-01', 2))], ['prints/huge-only.json.gz', gzipSync(ndjson(huge))]] as const) {
      const m = await deliver(key, body);
      const expected = key.endsWith('.gz') ? { rows_in: 1, rows_valid: 0, rows_quarantined: 1 } : { rows_in: 3, rows_valid: 2, rows_quarantined: 1 };
      expect(counts(m)).toEqual({ status: 'ingested', ...expected });
      const [record] = (await quarantineRecords('prints', m.file_id)).filter((r) => (r.reasons as string[])[0].startsWith('line too long'));
      expect(record).toEqual({
        source_key: key,
        source_version: m.version_id,
        line: key.endsWith('.gz') ? 1 : 2,
        reasons: [`line too long: ${Buffer.byteLength(huge)} bytes, over the limit of 8388608 bytes for one record`],
        record: null,
        byte_offset: key.endsWith('.gz') ? 0 : Buffer.byteLength(ndjson(printRecord('2020-12-01', 1))),
        byte_length: Buffer.byteLength(huge),
      });
    }
  });

  it('a broken CSV quote hides nothing: the line is quarantined and the next ones are read', async () => {
    const rows = Array.from({ length: 111 }, (_, i) => `2020-12-02,1.00,${i},point`);
    rows[10] = '2020-12-02,"1.00,10,point';
    const m = await deliver('pays/broken-quote.csv', `pay_date,total,user_id,value_prop\n${rows.join('\n')}\n`);
    expect(counts(m)).toEqual({ status: 'ingested', rows_in: 111, rows_valid: 110, rows_quarantined: 1 });
    expect(await quarantineRecords('pays', m.file_id)).toEqual([
      {
        source_key: 'pays/broken-quote.csv',
        source_version: m.version_id,
        line: 12,
        reasons: ['unterminated quoted field: the quote opened at column 12 does not close on this line, and no complete record of 4 fields follows from it'],
        record: '2020-12-02,"1.00,10,point',
        byte_offset: expect.any(Number),
        byte_length: 25,
      },
    ]);
  });

  it('one undecodable NDJSON line is one quarantined row, named by its format and line; the other 100 are ingested', async () => {
    const good = Array.from({ length: 100 }, (_, i) => Buffer.from(ndjson(printRecord('2020-12-03', i))));
    const latin1 = Buffer.from(`{"day":"2020-12-03","event_data":{"position":0,"value_prop":"caf\xe9"},"user_id":1}\n`, 'latin1');
    const m = await deliver('prints/latin1.json', Buffer.concat([...good.slice(0, 50), latin1, ...good.slice(50)]));
    expect(counts(m)).toEqual({ status: 'ingested', rows_in: 101, rows_valid: 100, rows_quarantined: 1 });
    const [record] = await quarantineRecords('prints', m.file_id);
    expect(record).toMatchObject({ line: 51, reasons: [`not valid UTF-8: byte 0xE9 at byte ${latin1.indexOf(0xe9) + 1} of the line (the file must be UTF-8)`], record: null, record_base64: latin1.subarray(0, -1).toString('base64') });
    // The line reader's own delimiter bytes inside a line are the same: one quarantined row.
    const control = await deliver('prints/control.json', ndjson(printRecord('2020-12-03', 1), '{"day":"2020-12-03\x1e\x1f\x1e\x1f"}', printRecord('2020-12-03', 2)));
    expect(counts(control)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 2, rows_quarantined: 1 });
    expect(control.reasons).toEqual({ 'invalid JSON': 1 });
  });

  it('a CSV row breaking a rule is reported on its physical line, after blank lines, a multi-line record, a broken quote and a reader reject', async () => {
    const text = [
      'pay_date,total,user_id,value_prop', // 1
      '2020-12-13,1.00,1,point', // 2
      '', // 3
      '   ', // 4
      '2020-12-13,2.00,2,"two', // 5: a record on two lines
      'lines"', // 6
      '2020-12-13,"3.00,3,point', // 7: unterminated quote
      '2020-12-13,4.00,4', // 8: missing column
      '2020-12-13,-5.00,5,point', // 9: below the minimum
      '2020-12-13,6.00,6,point', // 10
    ].join('\n');
    const m = await deliver('pays/lines.csv', `${text}\n`);
    expect(counts(m)).toEqual({ status: 'ingested', rows_in: 6, rows_valid: 3, rows_quarantined: 3 });
    const records = await quarantineRecords('pays', m.file_id);
    expect(records.map((r) => [r.line, (r.reasons as string[])[0].split(':')[0]]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [7, 'unterminated quoted field'],
      [8, 'wrong CSV column count'],
      [9, 'total'],
    ]);
  });

  it('blank lines are not records in any format; a folder marker is ignored', async () => {
    const csv = await deliver('pays/blank-lines.csv', 'pay_date,total,user_id,value_prop\n2020-12-04,1.00,1,point\n   \n\n\t\n2020-12-04,2.00,2,point\n');
    expect(counts(csv)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0 });
    const json = await deliver('prints/blank-lines.json', ndjson(printRecord('2020-12-04', 1), '   ', '', printRecord('2020-12-04', 2)));
    expect(counts(json)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0 });
    const marker = await e2e.platform.s3.send(new PutObjectCommand({ Bucket: e2e.platform.buckets.bronze, Key: 'prints/', Body: Buffer.alloc(0) }));
    const ref = { bucket: e2e.platform.buckets.bronze, key: 'prints/', eTag: marker.ETag!.replace(/"/g, '') };
    expect(await processUntilDone(e2e.platform, e2e.handler, [ref], { timeoutMs: 10_000 })).toEqual([]);
    // Its notification is received and acknowledged, and nothing is written for it.
    expect(await pumpOnce(e2e.platform, e2e.handler)).toEqual({ received: 1, failed: 0 });
    expect(await e2e.keys(silver(), manifestKey(fileIdOf(ref)))).toEqual([]);
  });
});

describe('a file too large to decode on local disk', () => {
  it('is quarantined whole with a reason, its records counted, instead of filling the scratch space', async () => {
    const env = e2e.platform.handlerEnv;
    const text = ndjson(...Array.from({ length: 5000 }, (_, i) => printRecord('2020-12-12', i)));
    const body = gzipSync(text);
    const key = 'prints/bomb.json.gz';
    const put = await e2e.platform.s3.send(new PutObjectCommand({ Bucket: e2e.platform.buckets.bronze, Key: key, Body: body }));
    const deps: TransformDeps = {
      s3: e2e.platform.s3,
      contracts: new Map(loadContracts().map((c) => [c.name, c])),
      settings: { silverBucket: env.SILVER_BUCKET, quarantineBucket: env.QUARANTINE_BUCKET, operationsBucket: env.OPERATIONS_BUCKET, projectionStartDate: '2000-01-01', workDir: env.WORK_DIR, maxTextBytes: 64 * 1024 },
      piiPads: async () => ({ innerPadHex: '00', outerPadHex: '00' }),
    };
    const m = (await processObject({ bucket: e2e.platform.buckets.bronze, key, eTag: put.ETag!.replace(/"/g, '') }, deps))!;
    expect(counts(m)).toEqual({ status: 'quarantined', rows_in: 5000, rows_valid: 0, rows_quarantined: 5000 });
    expect(m.error).toBe(`decoded size ${Buffer.byteLength(text)} bytes is over the limit of 65536 bytes for one file (stage config transform.maxFileMiB); split the file`);
  });
});

describe('nothing is counted twice', () => {
  it('the same rows plain and gzipped, with or without .gz, are one delivery and duplicates', async () => {
    const body = ndjson(printRecord('2020-12-05', 1), printRecord('2020-12-05', 2));
    const plain = await deliver('prints/same.json', body);
    const gz = await deliver('prints/same.json.gz', gzipSync(body));
    const misnamed = await deliver('prints/same-misnamed.json', gzipSync(body));
    const crlf = await deliver('prints/same-crlf.json', body.replace(/\n/g, '\r\n'));
    expect([plain, gz, misnamed, crlf].map((m) => [m.status, m.duplicate_of])).toEqual([
      ['ingested', null],
      ['duplicate', 'prints/same.json'],
      ['duplicate', 'prints/same.json'],
      ['duplicate', 'prints/same.json'],
    ]);
    expect(await e2e.keys(silver(), 'prints/dt=2020-12-05/')).toEqual([`prints/dt=2020-12-05/${plain.file_id}.parquet`]);
  });

  it('gzip bytes delivered under a plain name are read, and the corrected delivery is a duplicate, not lost', async () => {
    const body = ndjson(printRecord('2020-12-06', 1));
    const first = await deliver('prints/x.json', gzipSync(body));
    const corrected = await deliver('prints/x.json.gz', gzipSync(body));
    expect(counts(first)).toEqual({ status: 'ingested', rows_in: 1, rows_valid: 1, rows_quarantined: 0 });
    expect([corrected.status, corrected.duplicate_of]).toEqual(['duplicate', 'prints/x.json']);
  });

  it('a rejected first delivery does not block the corrected one', async () => {
    // A corrupt gzip is quarantined whole; its content claims nothing, so the corrected file is ingested.
    const body = ndjson(printRecord('2020-12-07', 1), printRecord('2020-12-07', 2));
    const broken = gzipSync(body).subarray(0, 12);
    const first = await deliver('prints/y.json.gz', broken);
    expect(counts(first)).toEqual({ status: 'quarantined', rows_in: 1, rows_valid: 0, rows_quarantined: 1 });
    const again = await deliver('prints/y-again.json.gz', broken);
    expect(again.status).toBe('quarantined');
    const fixed = await deliver('prints/y-fixed.json.gz', gzipSync(body));
    expect(counts(fixed)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0 });
  });

  it('an overwritten key replaces what its previous version contributed, in silver and quarantine', async () => {
    const v1 = await deliver('prints/2020-11-05.json', ndjson(printRecord('2020-12-08', 1), printRecord('2020-12-09', 2), printRecord('2020-12-09', 3, { position: -1 })));
    expect(counts(v1)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 2, rows_quarantined: 1 });
    const v2 = await deliver('prints/2020-11-05.json', ndjson(printRecord('2020-12-08', 1), printRecord('2020-12-08', 4)));
    expect(counts(v2)).toEqual({ status: 'ingested', rows_in: 2, rows_valid: 2, rows_quarantined: 0 });
    expect(v2.supersedes).toBe(v1.file_id);
    // Silver holds v2 only: dt=2020-12-09 (v1 only) is gone, dt=2020-12-08 has v2's object.
    expect([...(await e2e.keys(silver(), 'prints/dt=2020-12-08/')), ...(await e2e.keys(silver(), 'prints/dt=2020-12-09/'))]).toEqual([`prints/dt=2020-12-08/${v2.file_id}.parquet`]);
    expect(Object.keys(await allText(quarantine(), 'prints/')).filter((k) => k.includes(v1.file_id))).toEqual([]);
    const old = JSON.parse((await allText(silver(), manifestKey(v1.file_id)))[manifestKey(v1.file_id)]) as RunManifest;
    expect([old.status, old.superseded_by]).toEqual(['superseded', v2.file_id]);
    // Delivering v1's content again (the producer reverts) is ingested again, not a duplicate of a version that left silver.
    const v3 = await deliver('prints/2020-11-05.json', ndjson(printRecord('2020-12-08', 1), printRecord('2020-12-09', 2), printRecord('2020-12-09', 3, { position: -1 })));
    expect(counts(v3)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 2, rows_quarantined: 1 });
    expect(v3.supersedes).toBe(v2.file_id);
  });

  it('the same bytes again under the same key with another ETag (a multipart upload) are a duplicate that keeps the rows silver holds', async () => {
    const key = 'prints/2020-11-06.json';
    const body = ndjson(printRecord('2020-12-10', 1), printRecord('2020-12-10', 2), printRecord('2020-12-10', 3, { position: -1 }));
    const v1 = await deliver(key, body);
    expect(counts(v1)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 2, rows_quarantined: 1 });
    // One part: S3's ETag is then `<md5 of the part's md5>-1`, not the object's md5: another file id for the same bytes.
    const bucket = e2e.platform.buckets.bronze;
    const { UploadId } = await e2e.platform.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const part = await e2e.platform.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.from(body) }));
    const done = await e2e.platform.s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(done.ETag).toMatch(/-1"$/);
    const [v2] = await processUntilDone(e2e.platform, e2e.handler, [{ bucket, key, eTag: done.ETag!.replace(/"/g, ''), versionId: done.VersionId }], { timeoutMs: 60_000 });
    expect([counts(v2), v2.duplicate_of, v2.supersedes]).toEqual([{ status: 'duplicate', rows_in: 0, rows_valid: 0, rows_quarantined: 0 }, key, null]);
    // Silver still holds v1's two rows and its quarantined one; v1 stays ingested.
    expect(await e2e.keys(silver(), 'prints/dt=2020-12-10/')).toEqual([`prints/dt=2020-12-10/${v1.file_id}.parquet`]);
    expect((await e2e.parquet(`prints/dt=2020-12-10/${v1.file_id}.parquet`, 'SELECT count(*)::INT AS n FROM t'))[0].n).toBe(2);
    expect((await quarantineRecords('prints', v1.file_id)).length).toBe(1);
    expect((JSON.parse((await allText(silver(), manifestKey(v1.file_id)))[manifestKey(v1.file_id)]) as RunManifest).status).toBe('ingested');
    // A changed file under the key then replaces v1 as any new version does.
    const v3 = await deliver(key, ndjson(printRecord('2020-12-11', 1)));
    expect([counts(v3), v3.supersedes]).toEqual([{ status: 'ingested', rows_in: 1, rows_valid: 1, rows_quarantined: 0 }, v1.file_id]);
    expect(await e2e.keys(silver(), 'prints/dt=2020-12-10/')).toEqual([]);
  });

  it('a late notification of an older version ingests nothing', async () => {
    const bronze = e2e.platform.buckets.bronze;
    const key = 'prints/late.json';
    const o1 = await e2e.platform.s3.send(new PutObjectCommand({ Bucket: bronze, Key: key, Body: ndjson(printRecord('2020-12-10', 1)) }));
    const o2 = await e2e.platform.s3.send(new PutObjectCommand({ Bucket: bronze, Key: key, Body: ndjson(printRecord('2020-12-10', 2)) }));
    const [m1, m2] = await processUntilDone(e2e.platform, e2e.handler, [
      { bucket: bronze, key, eTag: o1.ETag!.replace(/"/g, '') },
      { bucket: bronze, key, eTag: o2.ETag!.replace(/"/g, '') },
    ], { timeoutMs: 60_000 });
    expect([m1.status, m2.status]).toEqual(['superseded', 'ingested']);
    expect(m1.rows_valid + m2.rows_valid).toBe(1);
    expect(await e2e.keys(silver(), 'prints/dt=2020-12-10/')).toEqual([`prints/dt=2020-12-10/${m2.file_id}.parquet`]);
  });
});

describe('valid rows are queryable, impossible values refused', () => {
  it('events beyond the future horizon are quarantined; offsets beyond ±18:00 and zone-less timestamps are refused', async () => {
    const m = await deliver(
      'prints/future.json',
      ndjson(printRecord('2099-01-01', 1), printRecord('9999-12-31', 2), printRecord('2020-12-11', 3)),
    );
    expect(counts(m)).toEqual({ status: 'ingested', rows_in: 3, rows_valid: 1, rows_quarantined: 2 });
    expect(Object.keys(m.reasons)).toEqual([expect.stringMatching(/^day: later than \d{4}-\d{2}-\d{2}, the latest event time accepted/)]);
    const event = (id: string, timestamp: string) => JSON.stringify({ event_id: id, session_id: 's', user_id: 'u', event_type: 'login', timestamp });
    const e = await deliver('events/offsets.json', [event('a', '2024-03-01T10:00:00-25:00'), event('b', '2024-03-01T10:00:00'), event('c', '2024-02-31T10:00:00Z'), event('d', '2024-03-01T10:00:00+18:00')].join('\n'));
    expect(e.reasons).toEqual({ 'timestamp: offset outside ±18:00': 1, 'timestamp: no time zone (add Z or an offset such as -03:00)': 1, 'timestamp: not an ISO-8601 timestamp': 1 });
    expect(counts(e)).toEqual({ status: 'ingested', rows_in: 4, rows_valid: 1, rows_quarantined: 3 });
  });
});

describe('no clear PII outside bronze', () => {
  it('no quarantine object or manifest holds an e-mail in clear, whatever the quarantine path', async () => {
    const header = 'user_id,email,country,device,signup_date,updated_at';
    const emails = ['rule@example.com', 'columns@example.com', 'quote@example.com', 'latin@example.com', 'noheader@example.com', 'future@example.com'];
    const body = Buffer.concat([
      Buffer.from(`${header}\nu-1,${emails[0]},pe,mobile,2023-12-24,2024-02-28T08:00:00Z\n`),
      Buffer.from(`u-2,${emails[1]},PE\n`),
      Buffer.from(`u-3,"${emails[2]},PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n`),
      Buffer.from(`u-4,${emails[3].replace('latin', 'lat\xedn')},PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n`, 'latin1'),
      Buffer.from(`u-6,${emails[5]},PE,mobile,2023-12-24,2099-02-28T08:00:00Z\n`),
      Buffer.from(`u-5,ok@example.com,PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n`),
    ]);
    const m = await deliver('users/hostile.csv', body);
    expect(counts(m)).toEqual({ status: 'ingested', rows_in: 6, rows_valid: 1, rows_quarantined: 5 });
    const headerless = await deliver('users/no-header.csv', `u-9,${emails[4]},PE,mobile,2023-12-24,2024-02-28T08:00:00Z\n`);
    expect(headerless.status).toBe('quarantined');
    expect(headerless.error).toBe('CSV header is "<field 1 withheld>,<field 2 withheld>,<field 3 withheld>,<field 4 withheld>,<field 5 withheld>,<field 6 withheld>" but the contract expects "user_id,email,country,device,signup_date,updated_at" in this order');
    const everything = JSON.stringify({ ...(await allText(quarantine())), ...(await allText(silver(), '_operations/')) });
    for (const email of [...emails, 'ok@example.com', 'latín@example.com']) expect(everything).not.toContain(email);
    const records = await quarantineRecords('users', m.file_id);
    expect(records).toHaveLength(5);
    // A parsed row keeps its fields with the e-mail hashed; a row that could not be parsed keeps only its position.
    const rule = records.find((r) => r.line === 2)!;
    expect(JSON.parse(JSON.stringify(rule.record))).toMatchObject({ user_id: 'u-1', country: 'pe', email: expect.stringMatching(/^[0-9a-f]{64}$/) });
    for (const r of records.filter((x) => x.record === null)) expect(r.withheld).toMatch(/^withheld: users has PII columns \(email\)/);
  });
});

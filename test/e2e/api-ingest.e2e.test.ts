import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ndjson, printRecord } from '../fixtures/records';
import { problem, startE2EApi, type E2EApi } from './harness';

// The ingest and upload routes add source data, which would show in the Gold rows that api.e2e.test.ts
// reads: they run on a platform of their own. Each test reads only the keys and sessions it created.
let e2e: E2EApi;
const call = (path: string, init?: RequestInit) => e2e.call(path, init);

beforeAll(async () => {
  e2e = await startE2EApi({ throttle: { rateLimit: 10_000, burstLimit: 10_000 } });
});

afterAll(async () => {
  await e2e?.close();
});

describe('HTTP API ingest and upload routes through the local server (real HTTP, same handlers, moto)', () => {
  it('POST /v1/ingest stores a batch in bronze; the pipeline makes it visible in silver and through the API', async () => {
    const body = ndjson(
      { event_id: 'e9', session_id: 's9', user_id: 'u9', event_type: 'purchase', timestamp: '2024-03-05T12:00:00Z' },
      { event_id: 'e10', session_id: 's9', user_id: 'u9', event_type: 'purchase', timestamp: '2024-03-05T12:01:00Z' },
    );
    const res = await call('/v1/ingest/events', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ dataset: 'events', key: expect.stringMatching(/^events\/api\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.jsonl$/), records: 2, bytes: Buffer.byteLength(body) });
    const [manifest] = await e2e.processed([res.body.key]);
    expect(manifest).toMatchObject({ status: 'ingested', rows_in: 2, rows_valid: 2 });
    const silver = await e2e.platform.s3.send(new ListObjectsV2Command({ Bucket: e2e.platform.buckets.silver, Prefix: 'events/dt=2024-03-05/' }));
    expect(silver.Contents?.map((o) => o.Key)).toEqual([manifest.partitions[0].key]);
    const files = await call(`/v1/files?key=${encodeURIComponent(res.body.key)}`);
    expect(files.body.rows).toMatchObject([{ dataset: 'events', status: 'ingested', rows_valid: 2 }]);
    const session = await call('/v1/datasets/user_session_analysis/rows?session_id=s9');
    expect(session.body.rows).toMatchObject([{ session_id: 's9', total_events: 2, session_start_time: '2024-03-05T12:00:00.000Z', is_conversion: false }]);
  });

  it('checks the body against the contract: format, CSV header, parseable records; 413 above the limit names the upload route', async () => {
    const post = (dataset: string, contentType: string, body: string) => call(`/v1/ingest/${dataset}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect((await post('pays', 'text/csv', 'pay_date,total,user\n2020-11-01,1.00,1\n')).body).toEqual(
      problem(400, 'invalid-csv-header', 'the CSV header is "pay_date,total,user"; pays needs exactly "pay_date,total,user_id,value_prop" (its contract, contracts/pays.yaml)', '/v1/ingest/pays'),
    );
    expect((await post('prints', 'application/x-ndjson', '{"day":"2020-11-01"}\n{"day":\n')).body).toEqual(
      problem(400, 'invalid-record', 'line 2 is not valid JSON (Unexpected end of JSON input); NDJSON needs one JSON object per line', '/v1/ingest/prints'),
    );
    expect((await post('prints', 'application/x-ndjson', '[1]\n')).body.detail).toBe('line 1 is JSON but not an object; NDJSON needs one JSON object per line');
    expect((await post('prints', 'text/csv', 'a,b\n')).body).toEqual(
      problem(415, 'unsupported-media-type', 'prints is delivered as NDJSON (one JSON object per line) (its contract, contracts/prints.yaml): send Content-Type application/x-ndjson, not "text/csv"', '/v1/ingest/prints'),
    );
    expect((await post('pays', 'text/csv', 'pay_date,total,user_id,value_prop\n')).body.detail).toBe('the CSV has a header but no records; send at least one pays record');
    const big = `${JSON.stringify(printRecord('2020-11-01', 1, { position: 0 }))}\n`.repeat(Math.ceil((5 * 1024 * 1024) / 70) + 10);
    const tooBig = await post('prints', 'application/x-ndjson', big);
    expect(tooBig.body).toEqual(
      problem(413, 'payload-too-large', `the body has ${Buffer.byteLength(big)} bytes; POST /v1/ingest takes at most 5242880 bytes. For larger files ask POST /v1/uploads/prints for a presigned S3 PUT URL`, '/v1/ingest/prints', {
        maxBytes: 5242880,
        uploadRoute: '/v1/uploads/prints',
      }),
    );
  });

  const stored = (key: string) => e2e.bytes(e2e.platform.buckets.bronze, key);
  const bronzeKeys = (prefix: string) => e2e.keys(e2e.platform.buckets.bronze, prefix);

  it('refuses a body that is not UTF-8 with 400 naming the byte offset, and stores nothing', async () => {
    const before = await bronzeKeys('taps/api/');
    const body = Buffer.concat([Buffer.from(`${JSON.stringify(printRecord('2020-11-29', 5, { position: 1 }))}\n{"day":"2020-11-29","value_prop":"caf`), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    const res = await call('/v1/ingest/taps', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect([res.status, res.type]).toEqual([400, 'application/problem+json']);
    const offset = body.indexOf(0xe9);
    expect(res.body).toEqual(
      problem(400, 'invalid-encoding', `the body is not valid UTF-8: byte offset ${offset} starts an invalid sequence (bytes e9 22 7d 0a); send the records as UTF-8 text, or gzip-compressed UTF-8 with Content-Encoding: gzip`, '/v1/ingest/taps', { offset }),
    );
    const csv = Buffer.concat([Buffer.from('pay_date,total,user_id,value_prop\n2020-11-29,1.00,1,p'), Buffer.from([0xff]), Buffer.from('\n')]);
    const bad = await call('/v1/ingest/pays', { method: 'POST', headers: { 'content-type': 'text/csv; charset=utf-8' }, body: csv });
    expect([bad.status, bad.body.type, bad.body.offset]).toEqual([400, 'urn:medallion:problem:invalid-encoding', 53]);
    expect(await bronzeKeys('taps/api/')).toEqual(before);
  });

  it('stores a UTF-8 body byte for byte (BOM, CRLF, multi-byte characters)', async () => {
    const body = Buffer.from('\uFEFF{"day":"2020-11-29","event_data":{"position":0,"value_prop":"café ☕ 😀"},"user_id":8}\r\n', 'utf8');
    const res = await call('/v1/ingest/taps', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect([res.status, res.body.records, res.body.bytes]).toEqual([202, 1, body.length]);
    expect((await stored(res.body.key)).equals(body)).toBe(true);
  });

  it('takes a gzip body with Content-Encoding: gzip: checked decompressed, stored compressed byte for byte as .gz, processed', async () => {
    const body = gzipSync(ndjson(printRecord('2020-11-29', 9, { position: 0 }), printRecord('2020-11-29', 9, { position: 1 })));
    const res = await call('/v1/ingest/taps', { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body });
    expect([res.status, res.body.records, res.body.bytes]).toEqual([202, 2, body.length]);
    expect(res.body.key).toMatch(/^taps\/api\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.jsonl\.gz$/);
    expect((await stored(res.body.key)).equals(body)).toBe(true);
    const [manifest] = await e2e.processed([res.body.key]);
    expect(manifest).toMatchObject({ status: 'ingested', rows_in: 2, rows_valid: 2 });
    const notGzip = await call('/v1/ingest/taps', { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: ndjson(printRecord('2020-11-29', 9, { position: 0 })) });
    expect([notGzip.status, notGzip.body.type]).toEqual([400, 'urn:medallion:problem:invalid-gzip']);
  });

  it('POST /v1/uploads returns a presigned PUT URL into bronze, signed without a checksum; a real file PUT there is stored byte for byte and processed', async () => {
    const res = await call('/v1/uploads/pays', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dataset: 'pays', method: 'PUT', expiresInSeconds: 900, key: expect.stringMatching(/^pays\/uploads\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.csv$/) });
    const url = new URL(res.body.url as string);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // A checksum signed into the URL would be the empty body's (SDK default since 3.729): S3 refuses other content against it.
    expect([...url.searchParams.keys()].filter((k) => /^x-amz-(checksum-|sdk-checksum-algorithm)/i.test(k))).toEqual([]);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    const rows = Array.from({ length: 200 }, (_, i) => `2020-11-20,${(i + 1).toFixed(2)},${i % 7},point`);
    const body = Buffer.from(`pay_date,total,user_id,value_prop\n${rows.join('\n')}\n`);
    expect(body.length).toBeGreaterThan(4000);
    const put = await fetch(url, { method: 'PUT', body });
    expect([put.status, await put.text()]).toEqual([200, '']);
    expect((await stored(res.body.key)).equals(body)).toBe(true);
    const [manifest] = await e2e.processed([res.body.key]);
    expect(manifest).toMatchObject({ dataset: 'pays', status: 'ingested', rows_in: 200, rows_valid: 200, rows_quarantined: 0 });
  });

  it('processes objects that any S3 client drops into bronze while serving', async () => {
    const before = e2e.api.pumped();
    await e2e.put('prints/late/2020-11-29.json', ndjson(printRecord('2020-11-29', 7, { position: 0 })));
    const [manifest] = await e2e.processed(['prints/late/2020-11-29.json']);
    expect(manifest).toMatchObject({ status: 'ingested', rows_valid: 1 });
    // The pump counts a batch once the handler returned (after the manifest is written).
    for (let i = 0; i < 50 && e2e.api.pumped() === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(e2e.api.pumped()).toBeGreaterThan(before);
  });
});

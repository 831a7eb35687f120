import { gzipSync } from 'node:zlib';
import { checkBody, MAX_DECOMPRESSED_BYTES } from '../../lambdas/api/ingest-body';
import type { Problem } from '../../lambdas/api/problem';
import { loadContracts } from '../../lambdas/shared/contracts';

const contracts = Object.fromEntries(loadContracts().map((c) => [c.name, c]));

describe('ingest body checks', () => {
  it('counts the records of a valid body: NDJSON lines, CSV rows after a quoted header, with BOM and CRLF', () => {
    expect(checkBody(contracts.prints, 'application/x-ndjson; charset=utf-8', Buffer.from('{"a":1}\n\n{"b":2}\n'))).toBe(2);
    expect(checkBody(contracts.pays, 'text/csv', Buffer.from('\uFEFF"pay_date","total","user_id","value_prop"\r\n2020-11-01,1.00,1,point\r\n'))).toBe(1);
  });

  it('refuses a body without a Content-Type with the expected one', () => {
    let problem: Problem | undefined;
    try {
      checkBody(contracts.users, '', Buffer.from('x'));
    } catch (e) {
      problem = e as Problem;
    }
    expect([problem?.status, problem?.detail]).toEqual([415, 'users is delivered as CSV with a header row (its contract, contracts/users.yaml): send Content-Type text/csv, not "(none)"']);
  });
});

describe('ingest body encoding: UTF-8, or gzip with Content-Encoding: gzip', () => {
  const problemOf = (fn: () => unknown): Pick<Problem, 'status' | 'type' | 'detail' | 'extensions'> => {
    try {
      fn();
    } catch (e) {
      const p = e as Problem;
      return { status: p.status, type: p.type, detail: p.detail, extensions: p.extensions };
    }
    throw new Error('no problem raised');
  };
  const utf8 = 'send the records as UTF-8 text, or gzip-compressed UTF-8 with Content-Encoding: gzip';

  it('counts valid multi-byte UTF-8 (accents, CJK, emoji, BOM) as it is', () => {
    expect(checkBody(contracts.prints, 'application/x-ndjson', Buffer.from('\uFEFF{"a":"é"}\n{"b":"日本"}\n{"c":"😀"}\n'))).toBe(3);
  });

  it.each([
    ['a byte that never occurs in UTF-8', Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff]), Buffer.from('"}\n')]), 7, 'ff 22 7d 0a'],
    ['a Latin-1 é', Buffer.from('{"a":1}\n{"a":"caf\xe9"}\n', 'latin1'), 17, 'e9 22 7d 0a'],
    ['an overlong encoding of /', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\n')]), 6, 'c0 af 22 7d'],
    ['a UTF-16 surrogate', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}\n')]), 6, 'ed a0 80 22'],
    ['a code point past U+10FFFF', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('"}\n')]), 6, 'f4 90 80 80'],
    ['a sequence cut short at the end', Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.from([0xe6, 0x97])]), 8, 'e6 97'],
  ])('refuses %s with 400 naming the byte offset', (_what, body, offset, bytes) => {
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', body))).toEqual({
      status: 400,
      type: 'invalid-encoding',
      detail: `the body is not valid UTF-8: byte offset ${offset} starts an invalid sequence (bytes ${bytes}); ${utf8}`,
      extensions: { offset },
    });
  });

  it('refuses invalid UTF-8 in CSV bodies too', () => {
    const csv = Buffer.concat([Buffer.from('pay_date,total,user_id,value_prop\n2020-11-01,1.00,1,p'), Buffer.from([0xf6]), Buffer.from('int\n')]);
    expect(problemOf(() => checkBody(contracts.pays, 'text/csv', csv)).detail).toBe(`the body is not valid UTF-8: byte offset 53 starts an invalid sequence (bytes f6 69 6e 74); ${utf8}`);
  });

  it('checks a gzip body (Content-Encoding: gzip) decompressed: records, UTF-8, corrupt data', () => {
    expect(checkBody(contracts.prints, 'application/x-ndjson', gzipSync('{"a":1}\n{"a":2}\n'), 'gzip')).toBe(2);
    expect(checkBody(contracts.pays, 'text/csv', gzipSync('pay_date,total,user_id,value_prop\n2020-11-01,1.00,1,point\n'), 'GZIP')).toBe(1);
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', gzipSync(Buffer.from([0x7b, 0xff, 0x7d])), 'gzip'))).toEqual({
      status: 400,
      type: 'invalid-encoding',
      detail: `the body is not valid UTF-8 once gunzipped: byte offset 1 starts an invalid sequence (bytes ff 7d); ${utf8}`,
      extensions: { offset: 1 },
    });
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', Buffer.from('{"a":1}\n'), 'gzip'))).toEqual({
      status: 400,
      type: 'invalid-gzip',
      detail: 'the body is sent with Content-Encoding: gzip but is not gzip data (incorrect header check); send the gzip-compressed bytes unchanged, or drop the header for an uncompressed body',
      extensions: {},
    });
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', gzipSync('{"a":1}\n').subarray(0, 15), 'gzip')).type).toBe('invalid-gzip');
  });

  it('refuses a gzip body larger than the limit once decompressed with 413, and other encodings with 415', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1, 0x20));
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', bomb, 'gzip'))).toMatchObject({ status: 413, type: 'payload-too-large', extensions: { maxBytes: MAX_DECOMPRESSED_BYTES, uploadRoute: '/v1/uploads/prints' } });
    expect(problemOf(() => checkBody(contracts.prints, 'application/x-ndjson', Buffer.from('{}'), 'br'))).toEqual({
      status: 415,
      type: 'unsupported-content-encoding',
      detail: 'Content-Encoding "br" is not supported; send the body uncompressed (UTF-8) or with Content-Encoding: gzip',
      extensions: {},
    });
  });
});

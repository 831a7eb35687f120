import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import type { DatasetContract, SourceFormat } from '../shared/contracts';
import { checkCsvHeader } from '../shared/csv-header';
import { badRequest, Problem } from './problem';

/**
 * Checks of an ingest body against the contract's shape, before it is stored: UTF-8 text (or gzip of it,
 * with `Content-Encoding: gzip`), the format the contract declares, parseable JSON objects (NDJSON, JSON
 * array) or the contract's CSV header. The body is stored exactly as received, so a body that is not
 * UTF-8 is refused rather than repaired. Values are not checked here: rows with bad values go to
 * quarantine through the normal pipeline, with their reasons.
 */

/** Largest body the ingest route takes: Lambda's 6 MB synchronous payload limit, less room for the event around it. */
export const MAX_INGEST_BYTES = 5 * 1024 * 1024;
export const UPLOAD_ROUTE = 'POST /v1/uploads/{dataset}';

export const MEDIA_TYPES: Readonly<Record<SourceFormat, string>> = { ndjson: 'application/x-ndjson', 'json-array': 'application/json', csv: 'text/csv' };
export const EXTENSIONS: Readonly<Record<SourceFormat, string>> = { ndjson: 'jsonl', 'json-array': 'json', csv: 'csv' };
const FORMAT_NAMES: Readonly<Record<SourceFormat, string>> = { ndjson: 'NDJSON (one JSON object per line)', 'json-array': 'a JSON array of objects', csv: 'CSV with a header row' };

export function tooLarge(bytes: number, dataset: string): Problem {
  return new Problem(
    413,
    'payload-too-large',
    'Payload too large',
    `the body has ${bytes} bytes; POST /v1/ingest takes at most ${MAX_INGEST_BYTES} bytes. For larger files ask ${UPLOAD_ROUTE.replace('{dataset}', dataset)} for a presigned S3 PUT URL`,
    { maxBytes: MAX_INGEST_BYTES, uploadRoute: `/v1/uploads/${dataset}` },
  );
}

/** Largest gzip body once decompressed: more is refused with 413 (and the upload route), also against gzip bombs. */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * no UTF-16 surrogates, nothing past U+10FFFF, no sequence cut short), or -1 when all of it is UTF-8.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the range of the first one (it rules out overlongs, surrogates, > U+10FFFF).
    let length: number;
    let [low, high] = [0x80, 0xbf];
    if (b >= 0xc2 && b <= 0xdf) length = 1;
    else if (b === 0xe0) [length, low] = [2, 0xa0];
    else if (b === 0xed) [length, high] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) length = 2;
    else if (b === 0xf0) [length, low] = [3, 0x90];
    else if (b === 0xf4) [length, high] = [3, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) length = 3;
    else return i;
    for (let k = 1; k <= length; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return i;
    }
    i += length + 1;
  }
  return -1;
}

const UTF8_HINT = 'send the records as UTF-8 text, or gzip-compressed UTF-8 with Content-Encoding: gzip';

/**
 * The text of a body: gunzipped for `Content-Encoding: gzip`, then UTF-8-decoded.
 * @throws Problem 400 (not UTF-8, not gzip), 413 (too large once decompressed), 415 (another Content-Encoding)
 */
function bodyText(body: Buffer, contentEncoding: string, dataset: string): string {
  const encoding = contentEncoding.trim().toLowerCase();
  let bytes = body;
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(body, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Problem(
          413,
          'payload-too-large',
          'Payload too large',
          `the gzip body is larger than ${MAX_DECOMPRESSED_BYTES} bytes once decompressed; POST /v1/ingest takes at most that. For larger files ask ${UPLOAD_ROUTE.replace('{dataset}', dataset)} for a presigned S3 PUT URL`,
          { maxBytes: MAX_DECOMPRESSED_BYTES, uploadRoute: `/v1/uploads/${dataset}` },
        );
      }
      throw badRequest(
        'invalid-gzip',
        `the body is sent with Content-Encoding: gzip but is not gzip data (${(e as Error).message}); send the gzip-compressed bytes unchanged, or drop the header for an uncompressed body`,
      );
    }
  } else if (encoding !== '' && encoding !== 'identity') {
    throw new Problem(415, 'unsupported-content-encoding', 'Unsupported media type', `Content-Encoding ${JSON.stringify(contentEncoding)} is not supported; send the body uncompressed (UTF-8) or with Content-Encoding: gzip`);
  }
  const offset = invalidUtf8Offset(bytes);
  if (offset >= 0) {
    const shown = [...bytes.subarray(offset, offset + 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw badRequest(
      'invalid-encoding',
      `the body is not valid UTF-8${bytes === body ? '' : ' once gunzipped'}: byte offset ${offset} starts an invalid sequence (bytes ${shown}); ${UTF8_HINT}`,
      { offset },
    );
  }
  return bytes.toString('utf8');
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The number of records of a valid body; `contentEncoding` is the request's Content-Encoding (`gzip` or none).
 * @throws Problem 415 (media type not the contract's format, unsupported Content-Encoding), 413 (gzip body too
 * large once decompressed) or 400 (not UTF-8, corrupt gzip, unparseable record, wrong CSV header, empty body)
 */
export function checkBody(contract: DatasetContract, contentType: string, body: Buffer, contentEncoding = ''): number {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  const expected = MEDIA_TYPES[contract.format];
  if (mediaType !== expected) {
    throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `${contract.name} is delivered as ${FORMAT_NAMES[contract.format]} (its contract, ${contract.file}): send Content-Type ${expected}, not ${JSON.stringify(mediaType || '(none)')}`);
  }
  const text = bodyText(body, contentEncoding, contract.name).replace(/^\uFEFF/, '');
  if (text.trim() === '') throw badRequest('empty-body', `the body is empty; send at least one ${contract.name} record`);
  if (contract.format === 'ndjson') {
    const lines = text.split(/\r?\n/);
    let records = 0;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw badRequest('invalid-record', `line ${i + 1} is not valid JSON (${(e as Error).message}); NDJSON needs one JSON object per line`);
      }
      if (!isObject(value)) throw badRequest('invalid-record', `line ${i + 1} is JSON but not an object; NDJSON needs one JSON object per line`);
      records++;
    });
    return records;
  }
  if (contract.format === 'json-array') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw badRequest('invalid-record', `the body is not valid JSON (${(e as Error).message}); send a JSON array of objects`);
    }
    if (!Array.isArray(value)) throw badRequest('invalid-record', 'the body is JSON but not an array; send a JSON array of objects');
    const bad = value.findIndex((v) => !isObject(v));
    if (bad >= 0) throw badRequest('invalid-record', `element ${bad} of the array is not an object; send a JSON array of objects`);
    if (value.length === 0) throw badRequest('empty-body', `the array is empty; send at least one ${contract.name} record`);
    return value.length;
  }
  const { delimiter } = contract.csv!;
  const lines = text.split(/\r?\n/);
  const headerCheck = checkCsvHeader(contract, lines[0]);
  if (!headerCheck.ok) {
    throw badRequest(
      'invalid-csv-header',
      `the CSV header is ${JSON.stringify(headerCheck.header.join(delimiter))}; ${contract.name} needs exactly ${JSON.stringify(headerCheck.expected.join(delimiter))} (its contract, ${contract.file})`,
    );
  }
  const records = lines.slice(1).filter((l) => l.trim() !== '').length;
  if (records === 0) throw badRequest('empty-body', `the CSV has a header but no records; send at least one ${contract.name} record`);
  return records;
}

import type { DatasetContract, SourceFormat } from '../shared/contracts';
import { checkCsvHeader } from '../shared/csv-header';
import { badRequest, Problem } from './problem';

/**
 * Checks of an ingest body against the contract's shape, before it is stored: the format the contract
 * declares, parseable JSON objects (NDJSON, JSON array) or the contract's CSV header. Values are not
 * checked here: rows with bad values go to quarantine through the normal pipeline, with their reasons.
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

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The number of records of a valid body.
 * @throws Problem 415 (media type not the contract's format) or 400 (unparseable record, wrong CSV header, empty body)
 */
export function checkBody(contract: DatasetContract, contentType: string, body: Buffer): number {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  const expected = MEDIA_TYPES[contract.format];
  if (mediaType !== expected) {
    throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `${contract.name} is delivered as ${FORMAT_NAMES[contract.format]} (its contract, ${contract.file}): send Content-Type ${expected}, not ${JSON.stringify(mediaType || '(none)')}`);
  }
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
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

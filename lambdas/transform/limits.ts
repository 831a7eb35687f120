import type { DatasetContract } from '../shared/contracts';
import type { ScanOptions } from './line-scan';

/**
 * Longest record the engine reads, in bytes. DuckDB reads in buffers of 16 lines of this size: 8 MiB
 * lines keep a buffer at 128 MiB. A longer line is a quarantined record (reason `line too long`).
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** Lines set aside by the record scan keep their bytes in quarantine up to this size (longer ones only their position). */
export const KEEP_REJECTED_LINE_BYTES = 64 * 1024;

/** How the record scan reads a contract's files. */
export function scanOptionsFor(contract: DatasetContract): ScanOptions {
  const format = contract.format === 'csv' ? 'csv' : contract.format === 'json-array' ? 'json-array' : 'ndjson';
  return {
    format,
    maxLineBytes: MAX_LINE_BYTES,
    keepBytes: KEEP_REJECTED_LINE_BYTES,
    ...(contract.csv ? { csv: { delimiter: contract.csv.delimiter, quote: contract.csv.quote, escape: contract.csv.escape, columns: contract.properties.length } } : {}),
  };
}

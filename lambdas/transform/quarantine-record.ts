/**
 * The quarantine record: one JSON line per rejected row, written by the engine (rows it read) and by the
 * record scan (lines it set aside). The rule for PII: quarantine is readable by more roles than bronze, so
 * no clear value of a PII column is ever written there. For a dataset with PII columns a row that could
 * be parsed keeps its values with every PII value replaced by its keyed hash (as in silver); a row that
 * could not be parsed (invalid JSON, a CSV record the reader could not split, an undecodable or over-long
 * line) keeps no text at all, only its position in bronze (`source_key`, `source_version`, `line`), where
 * bronze's access policy applies. Datasets without PII columns keep the exact text.
 */
import type { DatasetContract } from '../shared/contracts';

export interface QuarantineLineInput {
  readonly sourceKey: string;
  readonly sourceVersion: string | null;
  readonly line: number | null;
  readonly reasons: readonly string[];
  /** The exact bytes of the line, when kept. */
  readonly raw?: Buffer;
  readonly offset?: number;
  readonly bytes?: number;
  readonly wholeFile?: boolean;
}

/** The note a record carries in place of text withheld because the dataset has PII columns. */
export const withheldNote = (contract: DatasetContract): string =>
  `withheld: ${contract.name} has PII columns (${contract.properties.filter((p) => p.pii).map((p) => p.name).join(', ')}) and this record could not be parsed to hash them; read it in bronze at source_key, source_version, line`;

/** One quarantine JSON line (with its LF) for a record the engine never read. */
export function quarantineLine(contract: DatasetContract, input: QuarantineLineInput): string {
  const pii = contract.properties.some((p) => p.pii);
  const record: Record<string, unknown> = {
    source_key: input.sourceKey,
    source_version: input.sourceVersion,
    line: input.line,
    reasons: input.reasons,
    record: null,
  };
  if (input.offset !== undefined) Object.assign(record, { byte_offset: input.offset, byte_length: input.bytes });
  if (input.wholeFile) record.whole_file = true;
  if (pii && (input.raw || input.line !== null)) record.withheld = withheldNote(contract);
  else if (input.raw) {
    const text = input.raw.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(input.raw)) record.record = text;
    else record.record_base64 = input.raw.toString('base64');
  }
  return `${JSON.stringify(record)}\n`;
}

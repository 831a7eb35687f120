import type { CsvOptions, DatasetContract } from './contracts';

/**
 * The fields of one CSV header line, trimmed, honouring the contract's quote and escape characters (a
 * quote opens a quoted field only at its start; inside one, an escaped or doubled quote is a literal
 * quote). The transform and the ingest API read headers with this one function, so both accept the same.
 */
export function csvHeaderFields(line: string, csv: CsvOptions): string[] {
  const { delimiter, quote, escape } = csv;
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if ((ch === escape || ch === quote) && line[i + 1] === quote) {
        field += quote;
        i++;
      } else if (ch === quote) {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === quote && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === delimiter) {
      fields.push(field.trim());
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field.trim());
  return fields;
}

/** The header a CSV source must have: its properties' source names, in order. */
export const expectedCsvHeader = (contract: DatasetContract): string[] => contract.properties.map((p) => p.sourcePath[0]);

/** The header of a CSV line and whether it is exactly the contract's. */
export function checkCsvHeader(contract: DatasetContract, line: string): { readonly header: string[]; readonly expected: string[]; readonly ok: boolean } {
  const header = csvHeaderFields(line, contract.csv!);
  const expected = expectedCsvHeader(contract);
  return { header, expected, ok: header.length === expected.length && header.every((h, i) => h === expected[i]) };
}

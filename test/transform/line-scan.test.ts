import { LineScanner, firstInvalidUtf8, type ScanOptions } from '../../lambdas/transform/line-scan';

/** Scans `chunks` and returns the engine's text, the record count and the rejects (line, reason). */
async function scan(chunks: (string | Buffer)[], options: Partial<ScanOptions> = {}) {
  const out: Buffer[] = [];
  const scanner = new LineScanner({ format: 'ndjson', maxLineBytes: 64, ...options }, async (b) => {
    out.push(Buffer.from(b));
  });
  for (const c of chunks) await scanner.push(typeof c === 'string' ? Buffer.from(c, 'binary') : c);
  const result = await scanner.end();
  return { text: Buffer.concat(out).toString('binary'), records: result.records, lines: result.lines, rejects: result.rejects.map((r) => [r.line, r.reason, r.raw?.toString('binary') ?? null]) };
}

const csv: Partial<ScanOptions> = { format: 'csv', csv: { delimiter: ',', quote: '"', escape: '"', columns: 3 } };

describe('record scan: NDJSON', () => {
  it('counts non-blank lines and leaves the text as is', async () => {
    expect(await scan(['{"a":1}\n\n  \n{"a"', ':2}\n'])).toEqual({ text: '{"a":1}\n\n  \n{"a":2}\n', records: 2, lines: 4, rejects: [] });
  });

  it('a line too long is a rejected record, known by its position; every other line keeps its number', async () => {
    const long = 'x'.repeat(100);
    const r = await scan(['{"a":1}\n', long.slice(0, 30), long.slice(30), '\n{"a":2}']);
    expect(r.text).toBe('{"a":1}\n\n{"a":2}');
    expect(r.records).toBe(3);
    expect(r.rejects).toEqual([[2, 'line too long: 100 bytes, over the limit of 64 bytes for one record', null]]);
  });

  it('a line that is not UTF-8 is a rejected record with its exact bytes; the lines around it are kept', async () => {
    const r = await scan(['{"a":"ok"}\n{"a":"caf\xe9"}\n{"a":"x"}\n']);
    expect(r.text).toBe('{"a":"ok"}\n\n{"a":"x"}\n');
    expect(r.records).toBe(3);
    expect(r.rejects).toEqual([[2, 'not valid UTF-8: byte 0xE9 at byte 10 of the line (the file must be UTF-8)', '{"a":"caf\xe9"}']]);
  });

  it('the control bytes of the line reader are refused as the invalid JSON they are', async () => {
    const r = await scan(['{"a":"\x1e\x1f\x1e\x1f"}\n{"a":1}\n']);
    expect(r.records).toBe(2);
    expect(r.rejects).toEqual([[1, 'invalid JSON: raw control character 0x1E at byte 7 of the line (control characters must be escaped)', '{"a":"\x1e\x1f\x1e\x1f"}']]);
    expect(r.text).toBe('\n{"a":1}\n');
  });

  it('finds the first invalid UTF-8 byte', () => {
    expect(firstInvalidUtf8(Buffer.from('abc', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from('añb', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0);
  });
});

describe('record scan: CSV', () => {
  it('the header is not a record; lines of spaces are blank and become empty', async () => {
    expect(await scan(['a,b,c\n1,2,3\n   \n\n4,5,6\n'], csv)).toEqual({ text: 'a,b,c\n1,2,3\n\n\n4,5,6\n', records: 2, lines: 5, rejects: [] });
  });

  it('a quoted field may span lines when it makes a complete record', async () => {
    const r = await scan(['a,b,c\n1,"two\nlines",3\n4,5,6\n'], csv);
    expect(r).toEqual({ text: 'a,b,c\n1,"two\nlines",3\n4,5,6\n', records: 2, lines: 4, rejects: [] });
  });

  it('an unterminated quote is one rejected record, and reading resumes at the next line', async () => {
    const body = ['a,b,c', '1,2,3', '4,"five,6', ...Array.from({ length: 100 }, (_, i) => `${i},x,y`)].join('\n') + '\n';
    const r = await scan([body], csv);
    expect(r.records).toBe(102);
    expect(r.rejects).toEqual([[3, 'unterminated quoted field: the quote opened at column 3 does not close on this line, and no complete record of 3 fields follows from it', '4,"five,6']]);
    expect(r.text).toBe(body.replace('4,"five,6', ''));
  });

  it('a quote closing lines later into a record of the wrong shape rejects only the opener', async () => {
    // Lines 2-4 close into four fields, not three: line 2 is rejected and lines 3 and 4 are records again.
    const r = await scan(['a,b,c\n1,"x,2\n3,4,5\n6",7,8\n9,9,9\n'], csv);
    expect(r.records).toBe(4);
    expect(r.rejects.map(([line]) => line)).toEqual([2]);
    expect(r.text).toBe('a,b,c\n\n3,4,5\n6",7,8\n9,9,9\n');
    // Closing into exactly three fields, the same lines are one record spanning three lines (RFC 4180).
    expect((await scan(['a,b,c\n1,"x,2\n3,4,5\n6,7",8\n'], csv)).records).toBe(1);
  });
});

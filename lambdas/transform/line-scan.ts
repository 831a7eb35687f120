/**
 * The record scan of a source's text, done in the same pass that downloads it: it tells how many records
 * the file holds (what `rows_in` must never be below), and takes out of the engine's text the lines the
 * engine could not account for one by one, each as a rejected record with its line and reason. Lines it
 * takes out are left empty, so every other line keeps its number.
 *
 * The rules (documented in docs/architecture.md, "What counts as a record"):
 * - A blank line (empty, or only spaces and tabs) is not a record, in every format.
 * - NDJSON: every other line is one record. A line longer than `maxLineBytes`, a line that is not valid
 *   UTF-8, and a line holding a raw control character the JSON grammar forbids (0x1E, 0x1F: the engine's
 *   line reader uses them) are rejected records.
 * - CSV: the first non-blank line is the header. Every other line is one record, except that a quoted
 *   field may span lines when the record it makes is complete: its quotes close and it has exactly the
 *   contract's number of fields. A line whose quote does not close so is a rejected record
 *   ("unterminated quoted field") and reading resumes at the next line, so one broken quote never hides
 *   the records after it.
 * - JSON arrays have no line structure: the engine counts their elements.
 */
import { isUtf8 } from 'node:buffer';

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const RECORD_SEPARATOR = 0x1e;
const UNIT_SEPARATOR = 0x1f;

/** A line the scan set aside: a record the engine never sees, quarantined with this reason. */
export interface LineReject {
  /** 1-based line number in the decoded text. */
  readonly line: number;
  /** Byte offset of the line's first byte in the decoded text. */
  readonly offset: number;
  /** Length of the line in bytes, without its line end. */
  readonly bytes: number;
  readonly reason: string;
  /** The line's exact bytes, when at most `keepBytes` long. */
  readonly raw?: Buffer;
}

export interface CsvShape {
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  /** Number of fields of a record (the contract's columns). */
  readonly columns: number;
}

export interface ScanOptions {
  readonly format: 'ndjson' | 'csv' | 'json-array';
  readonly csv?: CsvShape;
  /** Longest line (record) the engine reads, in bytes. */
  readonly maxLineBytes: number;
  /** Lines set aside keep their bytes up to this size (longer ones keep only their position). */
  readonly keepBytes?: number;
}

export interface ScanResult {
  /** Records the file holds (rejected ones included; blank lines and the CSV header not); undefined for JSON arrays. */
  readonly records: number | undefined;
  readonly rejects: readonly LineReject[];
  /** Physical lines of the text. */
  readonly lines: number;
  /**
   * CSV: the lines after the header that start no record the CSV reader returns (blank lines, lines set
   * aside, the further lines of a multi-line record), ascending; undefined past MAX_SKIPPED_LINES. With the
   * reader's own rejects they turn a record's ordinal into its line number.
   */
  readonly skippedLines?: readonly number[];
  /** CSV: the further lines of the multi-line records (a subset of `skippedLines`). */
  readonly continuationLines?: readonly number[];
}

/** Skipped CSV lines recorded at most (past it, rule failures report their record's ordinal line). */
const MAX_SKIPPED_LINES = 1_000_000;

/**
 * Tokenises CSV text the way DuckDB's reader does, incrementally (one line, then the next lines of a
 * multi-line record): a quote opens a quoted field only at the start of a field; inside one, the escape
 * character followed by a quote (or a doubled quote) is a literal quote; a closing quote must be followed
 * by the delimiter or the end of the line.
 */
export class CsvTokenizer {
  fields = 1;
  open = false;
  /** 1-based column (of its line) where the quote still open started. */
  openColumn = 0;
  malformed = false;
  private atFieldStart = true;

  constructor(private readonly csv: CsvShape) {}

  /** Feeds one line (without its line end); a line after the first continues the record across a line break. */
  feed(line: string, continuation = false): this {
    const { delimiter, quote, escape } = this.csv;
    if (continuation && !this.open) this.malformed = true;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (this.open) {
        if ((ch === escape || ch === quote) && line[i + 1] === quote) i++;
        else if (ch === escape && escape !== quote && line[i + 1] === escape) i++;
        else if (ch === quote) {
          this.open = false;
          const next = line[i + 1];
          if (next !== undefined && next !== delimiter) this.malformed = true;
        }
        continue;
      }
      if (ch === delimiter) {
        this.fields++;
        this.atFieldStart = true;
      } else if (ch === quote && this.atFieldStart) {
        this.open = true;
        this.openColumn = i + 1;
        this.atFieldStart = false;
      } else if (ch !== ' ' && ch !== '\t') {
        this.atFieldStart = false;
      }
    }
    return this;
  }
}

const NEWLINE = Buffer.from('\n');
/** A multi-line CSV record spans at most this many lines. */
const MAX_RECORD_LINES = 1000;

interface HeldLine {
  readonly line: number;
  readonly offset: number;
  readonly bytes: Buffer;
}

/**
 * The scanner: fed the decoded text chunk by chunk, it writes the engine's text through `sink` (the same
 * bytes, minus the lines it sets aside, which become empty lines) and counts records.
 */
export class LineScanner {
  private lineNo = 0;
  private records = 0;
  /** Byte offset, in the decoded text, of the next byte `lines` receives. */
  private offset = 0;
  private readonly rejects: LineReject[] = [];
  /** The start of a line cut by a chunk boundary, and its length so far. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** The current line is over the limit: its bytes are counted, not kept. */
  private overflow = false;
  private headerSeen = false;
  /** CSV: the lines of a record whose quoted field is still open, and its tokenizer. */
  private held: HeldLine[] = [];
  private heldBytes = 0;
  private tokenizer: CsvTokenizer | undefined;
  private readonly quoteByte: number;
  private readonly keepBytes: number;
  private readonly csv: boolean;
  private skipped: number[] | undefined = [];
  private continuation: number[] = [];

  /**
   * @param sink receives the engine's text; every call ends at a line end
   * @param atLineEnd called when everything up to a line end has gone to `sink`, with the number of
   *   lines written so far (NDJSON): where the text may be cut into pieces
   */
  constructor(
    private readonly options: ScanOptions,
    private readonly sink: (bytes: Buffer) => Promise<void>,
    private readonly atLineEnd?: (linesWritten: number) => Promise<void>,
  ) {
    this.csv = options.format === 'csv';
    this.quoteByte = options.csv ? Buffer.from(options.csv.quote)[0] : -1;
    this.keepBytes = options.keepBytes ?? 64 * 1024;
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.options.format === 'json-array') return this.sink(chunk);
    let start = 0;
    if (this.carryBytes > 0 || this.overflow) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) return this.extendCarry(chunk);
      this.extendCarry(chunk.subarray(0, nl));
      await this.completeCarry(true);
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl < start) return this.extendCarry(chunk.subarray(start));
    await this.lines(chunk, start, lastNl + 1, false);
    if (lastNl + 1 < chunk.length) this.extendCarry(chunk.subarray(lastNl + 1));
  }

  async end(): Promise<ScanResult> {
    if (this.options.format === 'json-array') return { records: undefined, rejects: [], lines: 0 };
    if (this.carryBytes > 0 || this.overflow) await this.completeCarry(false);
    await this.decideHeld(true);
    const skippedLines = this.csv && this.skipped ? [...this.skipped].sort((a, b) => a - b) : undefined;
    return { records: this.records, rejects: this.rejects, lines: this.lineNo, ...(skippedLines ? { skippedLines, continuationLines: this.continuation } : {}) };
  }

  /** A CSV line after the header that starts no record the reader returns. */
  private skip(line: number): void {
    if (!this.csv || !this.headerSeen || !this.skipped) return;
    if (this.skipped.length >= MAX_SKIPPED_LINES) this.skipped = undefined;
    else this.skipped.push(line);
  }

  private extendCarry(bytes: Buffer): void {
    this.carryBytes += bytes.length;
    if (this.overflow) return;
    this.carry.push(Buffer.from(bytes));
    if (this.carryBytes > this.options.maxLineBytes) {
      this.overflow = true;
      this.carry = [];
    }
  }

  /** The carried line is complete (`newline`: it ended with LF, else it ends the file). */
  private async completeCarry(newline: boolean): Promise<void> {
    const length = this.carryBytes;
    const overflow = this.overflow;
    const parts = this.carry;
    this.carry = [];
    this.carryBytes = 0;
    this.overflow = false;
    if (overflow) {
      // Too long to keep: a rejected record, known by its position only.
      await this.decideHeld(true);
      this.lineNo++;
      this.records++;
      this.skip(this.lineNo);
      this.rejects.push({ line: this.lineNo, offset: this.offset, bytes: length, reason: this.tooLong(length) });
      this.offset += length + (newline ? 1 : 0);
      if (newline) await this.sink(NEWLINE);
      return;
    }
    const joined = Buffer.concat(newline ? [...parts, NEWLINE] : parts);
    await this.lines(joined, 0, joined.length, !newline);
  }

  private tooLong(bytes: number): string {
    return `line too long: ${bytes} bytes, over the limit of ${this.options.maxLineBytes} bytes for one record`;
  }

  /**
   * The complete lines of `b[from, to)`, each ending with LF except the very last line of the file
   * (`last`). Kept lines are written in runs; a line set aside is written as an empty line.
   */
  private async lines(b: Buffer, from: number, to: number, last: boolean): Promise<void> {
    const region = b.subarray(from, to);
    const utf8 = isUtf8(region);
    const controls = !this.csv && (region.indexOf(RECORD_SEPARATOR) !== -1 || region.indexOf(UNIT_SEPARATOR) !== -1);
    const quotes = this.csv && region.indexOf(this.quoteByte) !== -1;
    const plain = utf8 && !controls && !quotes;
    let runStart = from;
    let s = from;
    while (s < to) {
      let nl = b.indexOf(LF, s);
      if (nl === -1 || nl >= to) nl = to;
      const lineEnd = nl;
      const next = Math.min(nl + 1, to);
      const length = lineEnd - s;
      this.lineNo++;
      const lineOffset = this.offset + (s - from);
      const first = length > 0 ? b[s] : -1;
      const blank = first === -1 || ((first === SPACE || first === TAB) && isBlank(b, s, lineEnd));
      if (this.held.length === 0 && blank) {
        this.skip(this.lineNo);
        // Not a record. A CSV line of spaces becomes empty, so that the CSV reader skips it too.
        if (this.csv && length > 0) {
          await this.write(b.subarray(runStart, s));
          if (!(last && nl === to)) await this.sink(NEWLINE);
          runStart = next;
        }
      } else if (plain && this.held.length === 0 && (!this.csv || this.headerSeen) && length <= this.options.maxLineBytes) {
        this.records++;
      } else {
        // The slow lane: the run so far is written first, since deciding this line may write held lines.
        await this.write(b.subarray(runStart, s));
        runStart = s;
        const verdict = await this.check(b.subarray(s, lineEnd), lineOffset);
        if (verdict !== 'keep') {
          if (verdict === 'aside' && !(last && nl === to)) await this.sink(NEWLINE);
          runStart = next;
        }
      }
      s = nl + 1;
    }
    await this.write(b.subarray(runStart, to));
    this.offset += to - from;
    if (!this.csv && !last) await this.atLineEnd?.(this.lineNo);
  }

  /**
   * A line that is not plainly a record: over-long, not UTF-8, with a control byte, the CSV header, a CSV
   * line with a quote or one inside a held record. `keep`: written as is; `aside`: rejected, written as an
   * empty line; `held`: part of a CSV record still open, written when the record is decided.
   */
  private async check(line: Buffer, offset: number): Promise<'keep' | 'aside' | 'held'> {
    if (this.held.length > 0) {
      this.held.push({ line: this.lineNo, offset, bytes: Buffer.from(line) });
      this.heldBytes += line.length + 1;
      this.tokenizer!.feed(line.toString('utf8'), true);
      await this.decideHeld(false);
      return 'held';
    }
    if (line.length > this.options.maxLineBytes) return this.reject(line, offset, this.tooLong(line.length));
    const invalidAt = firstInvalidUtf8(line);
    if (invalidAt !== -1) {
      const byte = line[invalidAt].toString(16).toUpperCase().padStart(2, '0');
      return this.reject(line, offset, `not valid UTF-8: byte 0x${byte} at byte ${invalidAt + 1} of the line (the file must be UTF-8)`);
    }
    if (!this.csv) {
      const control = [line.indexOf(RECORD_SEPARATOR), line.indexOf(UNIT_SEPARATOR)].filter((i) => i !== -1).sort((a, c) => a - c)[0];
      if (control !== undefined) {
        const byte = line[control].toString(16).toUpperCase();
        return this.reject(line, offset, `invalid JSON: raw control character 0x${byte} at byte ${control + 1} of the line (control characters must be escaped)`);
      }
      this.records++;
      return 'keep';
    }
    if (!this.headerSeen) {
      this.headerSeen = true;
      return 'keep';
    }
    const tokenizer = new CsvTokenizer(this.options.csv!).feed(line.toString('utf8'));
    if (!tokenizer.open) {
      this.records++;
      return 'keep';
    }
    this.tokenizer = tokenizer;
    this.held = [{ line: this.lineNo, offset, bytes: Buffer.from(line) }];
    this.heldBytes = line.length + 1;
    return 'held';
  }

  private reject(line: Buffer, offset: number, reason: string): 'aside' {
    this.records++;
    this.skip(this.lineNo);
    this.rejects.push({ line: this.lineNo, offset, bytes: line.length, reason, ...(line.length <= this.keepBytes ? { raw: Buffer.from(line) } : {}) });
    return 'aside';
  }

  /**
   * Decides a held CSV record once its quote closes (or at the end of the file, or when it grows past one
   * record's limits): a complete, well-formed record with the contract's field count is written as is;
   * otherwise its first line is rejected and the lines after it are scanned again as lines of their own.
   */
  private async decideHeld(eof: boolean): Promise<void> {
    while (this.held.length > 0) {
      const tokenizer = this.tokenizer!;
      const tooBig = this.heldBytes > this.options.maxLineBytes || this.held.length > MAX_RECORD_LINES;
      if (tokenizer.open && !eof && !tooBig) return;
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      this.tokenizer = undefined;
      if (!tokenizer.open && !tokenizer.malformed && tokenizer.fields === this.options.csv!.columns) {
        this.records++;
        for (const h of held.slice(1)) {
          this.skip(h.line);
          if (this.skipped) this.continuation.push(h.line);
        }
        for (const h of held) await this.sink(Buffer.concat([h.bytes, NEWLINE]));
        return;
      }
      const [opener, ...rest] = held;
      const column = new CsvTokenizer(this.options.csv!).feed(opener.bytes.toString('utf8')).openColumn;
      this.records++;
      this.skip(opener.line);
      this.rejects.push({
        line: opener.line,
        offset: opener.offset,
        bytes: opener.bytes.length,
        reason: `unterminated quoted field: the quote opened at column ${column} does not close on this line, and no complete record of ${this.options.csv!.columns} fields follows from it`,
        ...(opener.bytes.length <= this.keepBytes ? { raw: opener.bytes } : {}),
      });
      await this.sink(NEWLINE);
      // The lines after the opener are lines of their own again (one of them may open a record in turn).
      for (const h of rest) {
        if (this.held.length > 0) {
          this.held.push(h);
          this.heldBytes += h.bytes.length + 1;
          this.tokenizer!.feed(h.bytes.toString('utf8'), true);
          continue;
        }
        if (isBlank(h.bytes, 0, h.bytes.length)) {
          this.skip(h.line);
          await this.sink(NEWLINE);
          continue;
        }
        const t = new CsvTokenizer(this.options.csv!).feed(h.bytes.toString('utf8'));
        if (t.open) {
          this.tokenizer = t;
          this.held = [h];
          this.heldBytes = h.bytes.length + 1;
          continue;
        }
        this.records++;
        await this.sink(Buffer.concat([h.bytes, NEWLINE]));
      }
    }
  }

  private async write(bytes: Buffer): Promise<void> {
    if (bytes.length > 0) await this.sink(bytes);
  }
}

function isBlank(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== SPACE && b[i] !== TAB) return false;
  return true;
}

/** Index of the first byte of `line` that starts an invalid UTF-8 sequence, -1 when it is valid. */
export function firstInvalidUtf8(line: Buffer): number {
  if (isUtf8(line)) return -1;
  let i = 0;
  while (i < line.length) {
    const b = line[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need === -1) return i;
    if (i + need >= line.length) return i;
    let ok = true;
    for (let k = 1; k <= need; k++) if ((line[i + k] & 0xc0) !== 0x80) ok = false;
    // Overlong forms, surrogates and code points past U+10FFFF.
    if (ok && need === 2 && ((b === 0xe0 && line[i + 1] < 0xa0) || (b === 0xed && line[i + 1] > 0x9f))) ok = false;
    if (ok && need === 3 && ((b === 0xf0 && line[i + 1] < 0x90) || (b === 0xf4 && line[i + 1] > 0x8f))) ok = false;
    if (!ok) return i;
    i += need + 1;
  }
  return -1;
}

import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LineScanner, type ScanOptions, type ScanResult } from './line-scan';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CR = Buffer.from([0x0d]);

export interface SourceFile {
  /** Local path of the decoded text (gunzipped, without a UTF-8 BOM, LF line ends, lines set aside left empty). */
  readonly path: string;
  /**
   * SHA-256 of the decoded text (after gunzip, BOM and CRLF handling, before lines are set aside): the
   * identity of the content, the same whether it was delivered plain or gzipped.
   */
  readonly sha256: string;
  /** Size in bytes as stored in bronze. */
  readonly storedBytes: number;
  /** Size in bytes of the decoded text. */
  readonly textBytes: number;
  /** Whether the stored bytes were gzip (recognised by its magic bytes, whatever the key's suffix). */
  readonly gzip: boolean;
  /** What the record scan found: the records the file holds, the lines it set aside. */
  readonly scan: ScanResult;
  /**
   * The text as pieces of about `pieceBytes` each, cut at line ends, with the number of the first line of
   * each (`path` is the first). A clean file is read from all of them at once; a piece holding a row that
   * breaks a rule is read again on its own, line by line. One piece for CSV and JSON arrays.
   */
  readonly pieces: readonly TextPiece[];
  /** Set when the decoded text is larger than `maxTextBytes`: the text file is then incomplete. */
  readonly tooLarge?: { readonly limit: number };
}

export interface TextPiece {
  readonly path: string;
  /** Line number (1-based, in the whole text) of the piece's first line. */
  readonly firstLine: number;
}

export interface MaterializeOptions {
  readonly scan: ScanOptions;
  /** Size after which NDJSON text goes on in a new piece (at the next line end). @default 1 MiB */
  readonly pieceBytes?: number;
  /** Largest decoded text written to local disk; past it the file is only scanned (records counted). */
  readonly maxTextBytes?: number;
}

/** Thrown when the object cannot be turned into text at all (for example a corrupt gzip stream). */
export class UnreadableFileError extends Error {
  readonly code = 'UNREADABLE_FILE';

  /** @param records the records the file was seen to hold before it became unreadable, when known */
  constructor(
    message: string,
    readonly records?: number,
  ) {
    super(message);
  }
}

/**
 * Turns bytes into the text the engine reads, chunk by chunk: drops a UTF-8 byte order mark at the very
 * start (however the first chunks are cut) and turns CRLF line ends into LF. DuckDB's reader needs one
 * newline convention per file, and producers mix them (an editor saving one line); a CR that ends a
 * chunk waits for the next one. Chunks without a CR pass through uncopied.
 */
class TextNormaliser {
  private head: Buffer | undefined = Buffer.alloc(0);
  private pendingCr = false;

  /** The text of the next chunk (possibly empty). */
  push(chunk: Buffer): Buffer {
    let data = chunk;
    if (this.head !== undefined) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < BOM.length) return Buffer.alloc(0);
      data = this.head.subarray(0, BOM.length).equals(BOM) ? this.head.subarray(BOM.length) : this.head;
      this.head = undefined;
    }
    if (this.pendingCr) data = Buffer.concat([CR, data]);
    this.pendingCr = data.length > 0 && data[data.length - 1] === 0x0d;
    if (this.pendingCr) data = data.subarray(0, data.length - 1);
    if (data.indexOf(0x0d) === -1) return data;
    const out = Buffer.allocUnsafe(data.length);
    let n = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0x0d && data[i + 1] === 0x0a) continue;
      out[n++] = data[i];
    }
    return out.subarray(0, n);
  }

  /** What is left at the end of the file: a short head that was not a BOM, a final CR. */
  end(): Buffer {
    const rest: Buffer[] = [];
    if (this.head && this.head.length > 0 && !BOM.subarray(0, this.head.length).equals(this.head)) rest.push(this.head);
    if (this.pendingCr) rest.push(CR);
    return Buffer.concat(rest);
  }
}

/**
 * Writes a stream of small chunks (network reads are a few KB to 64 KB) to a file in large writes: chunks
 * are copied into one of two buffers, and a full buffer is written while the other fills.
 */
class CoalescingWriter {
  private buffer: Buffer;
  private spare: Buffer;
  private used = 0;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: FileHandle,
    size = 4 * 1024 * 1024,
  ) {
    this.buffer = Buffer.allocUnsafe(size);
    this.spare = Buffer.allocUnsafe(size);
  }

  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = chunk.copy(this.buffer, this.used, offset);
      this.used += n;
      offset += n;
      if (this.used === this.buffer.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    await this.inFlight;
    const full = this.buffer;
    const length = this.used;
    this.inFlight = length > 0 ? this.file.write(full, 0, length) : Promise.resolve();
    this.buffer = this.spare;
    this.spare = full;
    this.used = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Streams an object body to local text pieces the engine can read, in one pass with large writes: gunzips
 * gzip content (recognised by its magic bytes), removes a UTF-8 BOM, turns CRLF into LF, hashes the
 * decoded text (the one SHA-256: the stored bytes are not hashed) and scans its records (see
 * line-scan.ts). Memory stays flat whatever the object size. Past `maxTextBytes` of decoded text nothing
 * more is written, but the scan goes on to the end so that the records the file holds are still counted.
 */
export async function materialize(body: Readable, path: string, options: MaterializeOptions): Promise<SourceFile> {
  const textHash = createHash('sha256');
  let storedBytes = 0;
  let textBytes = 0;
  const source = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  // The first bytes decide whether the content is gzip.
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < GZIP_MAGIC.length) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
  async function* stored(): AsyncGenerator<Buffer> {
    storedBytes += first.length;
    yield first;
    if (done) return;
    for (let next = await source.next(); !next.done; next = await source.next()) {
      storedBytes += next.value.length;
      yield next.value;
    }
  }
  // Pieces: `path` and then `path.1`, `path.2`…, each started once the previous one is over `pieceBytes`
  // at a line end (the scanner reports line ends with the number of lines written so far).
  const pieceBytes = options.scan.format === 'ndjson' ? (options.pieceBytes ?? 1024 * 1024) : Number.POSITIVE_INFINITY;
  const pieces: TextPiece[] = [{ path, firstLine: 1 }];
  let file = await open(path, 'w');
  let pieceWritten = 0;
  // `pipeline` (not `.pipe`) listens for the gunzip stream's errors from the start, and hands a corrupt
  // stream's error to the loop below instead of raising it as an unhandled 'error' event.
  const chunks: AsyncIterable<Buffer> = gzip
    ? pipeline(Readable.from(stored()), createGunzip(), () => {
        // The error, if any, surfaces through the iteration of the gunzip stream.
      })
    : stored();
  let writer = new CoalescingWriter(file);
  const normaliser = new TextNormaliser();
  const limit = options.maxTextBytes ?? Number.POSITIVE_INFINITY;
  let written = 0;
  const scanner = new LineScanner(
    options.scan,
    async (bytes) => {
      if (written + bytes.length > limit) {
        written = limit + 1;
        return;
      }
      written += bytes.length;
      pieceWritten += bytes.length;
      await writer.write(bytes);
    },
    async (linesWritten) => {
      if (pieceWritten < pieceBytes || written > limit) return;
      await writer.close();
      await file.close();
      const next = `${path}.${pieces.length}`;
      pieces.push({ path: next, firstLine: linesWritten + 1 });
      file = await open(next, 'w');
      writer = new CoalescingWriter(file);
      pieceWritten = 0;
    },
  );
  let scan: ScanResult;
  try {
    for await (const chunk of chunks) {
      const text = normaliser.push(chunk);
      textBytes += text.length;
      textHash.update(text);
      await scanner.push(text);
    }
    const rest = normaliser.end();
    textBytes += rest.length;
    textHash.update(rest);
    await scanner.push(rest);
    scan = await scanner.end();
    await writer.close();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code?.startsWith('Z_') || /incorrect header check|unexpected end of file/i.test(err.message))) {
      const partial = await scanner.end().catch(() => undefined);
      throw new UnreadableFileError(`not a valid gzip file: ${err.message}`, partial?.records);
    }
    throw e;
  } finally {
    await file.close();
  }
  if (pieces.length > 1 && pieceWritten === 0) {
    // Cut at the very end: the last piece is empty.
    await rm(pieces.pop()!.path, { force: true });
  }
  return {
    path,
    sha256: textHash.digest('hex'),
    storedBytes,
    textBytes,
    gzip,
    scan,
    pieces,
    ...(written > limit ? { tooLarge: { limit } } : {}),
  };
}

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CR = Buffer.from([0x0d]);

export interface SourceFile {
  /** Local path of the decompressed text, without a UTF-8 BOM, with LF line ends. */
  readonly path: string;
  /** SHA-256 of the object's bytes as stored in bronze (before decompression): its content identity. */
  readonly sha256: string;
  /** Size in bytes as stored in bronze. */
  readonly storedBytes: number;
  /** Size in bytes of the text handed to the engine. */
  readonly textBytes: number;
}

/** Thrown when the object cannot be turned into text at all (for example a corrupt gzip stream). */
export class UnreadableFileError extends Error {
  readonly code = 'UNREADABLE_FILE';
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

/**
 * Streams an object body to a local file the engine can read: hashes the stored bytes, gunzips `.gz`
 * objects, removes a UTF-8 BOM and turns CRLF into LF, in one pass with large writes. Memory stays flat
 * whatever the object size.
 */
export async function materialize(body: Readable, key: string, path: string): Promise<SourceFile> {
  const hash = createHash('sha256');
  let storedBytes = 0;
  let textBytes = 0;
  async function* stored(): AsyncGenerator<Buffer> {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      storedBytes += chunk.length;
      yield chunk;
    }
  }
  const gzip = /\.gz$/i.test(key);
  const file = await open(path, 'w');
  // `pipeline` (not `.pipe`) listens for the gunzip stream's errors from the start, and hands a corrupt
  // stream's error to the loop below instead of raising it as an unhandled 'error' event.
  const chunks: AsyncIterable<Buffer> = gzip
    ? pipeline(Readable.from(stored()), createGunzip(), () => {
        // The error, if any, surfaces through the iteration of the gunzip stream.
      })
    : stored();
  const writer = new CoalescingWriter(file);
  const normaliser = new TextNormaliser();
  try {
    for await (const chunk of chunks) {
      const text = normaliser.push(chunk);
      textBytes += text.length;
      await writer.write(text);
    }
    const rest = normaliser.end();
    textBytes += rest.length;
    await writer.write(rest);
    await writer.close();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code?.startsWith('Z_') || /incorrect header check|unexpected end of file/i.test(err.message))) {
      throw new UnreadableFileError(`not a valid gzip file: ${err.message}`);
    }
    throw e;
  } finally {
    await file.close();
  }
  return { path, sha256: hash.digest('hex'), storedBytes, textBytes };
}

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
 * Turns bytes into the text the engine reads, in one pass: drops a UTF-8 byte order mark at the very
 * start (however the first chunks are cut) and turns CRLF line ends into LF. DuckDB's reader needs one
 * newline convention per file, and producers mix them (an editor saving one line); a CR that ends a
 * chunk waits for the next one. Chunks without a CR pass through uncopied.
 */
function toText(onChunk: (chunk: Buffer) => void): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  let pendingCr = false;
  const emit = (stream: Transform, data: Buffer) => {
    if (data.length === 0) return;
    onChunk(data);
    stream.push(data);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let data = chunk;
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < BOM.length) return done();
        data = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
        head = undefined;
      }
      if (pendingCr) data = Buffer.concat([CR, data]);
      pendingCr = data.length > 0 && data[data.length - 1] === 0x0d;
      if (pendingCr) data = data.subarray(0, data.length - 1);
      if (data.indexOf(0x0d) === -1) {
        emit(this, data);
        return done();
      }
      const out = Buffer.allocUnsafe(data.length);
      let n = 0;
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 0x0d && data[i + 1] === 0x0a) continue;
        out[n++] = data[i];
      }
      emit(this, out.subarray(0, n));
      done();
    },
    flush(done) {
      if (head && head.length > 0 && !BOM.subarray(0, head.length).equals(head)) emit(this, head);
      if (pendingCr) emit(this, CR);
      done();
    },
  });
}

function counter(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onChunk(chunk);
      done(null, chunk);
    },
  });
}

/**
 * Streams an object body to a local file the engine can read: hashes the stored bytes, gunzips `.gz`
 * objects, removes a UTF-8 BOM and turns CRLF into LF. Memory stays flat whatever the object size.
 */
export async function materialize(body: Readable, key: string, path: string): Promise<SourceFile> {
  const hash = createHash('sha256');
  let storedBytes = 0;
  let textBytes = 0;
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[] = [
    body,
    counter((c) => {
      hash.update(c);
      storedBytes += c.length;
    }),
  ];
  if (/\.gz$/i.test(key)) stages.push(createGunzip());
  stages.push(toText((c) => (textBytes += c.length)));
  try {
    await pipeline([...stages, createWriteStream(path)]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || /incorrect header check|unexpected end of file/i.test(err.message)) {
      throw new UnreadableFileError(`not a valid gzip file: ${err.message}`);
    }
    throw e;
  }
  return { path, sha256: hash.digest('hex'), storedBytes, textBytes };
}

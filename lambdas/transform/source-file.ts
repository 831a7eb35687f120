import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

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

/** Drops a UTF-8 byte order mark at the very start of the stream, however the first chunks are cut. */
function stripBom(): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (head === undefined) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < BOM.length) return done();
      const out = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
      head = undefined;
      done(null, out);
    },
    flush(done) {
      if (head && head.length > 0 && !BOM.subarray(0, head.length).equals(head)) this.push(head);
      done();
    },
  });
}

/**
 * Turns CRLF line ends into LF. DuckDB's reader needs one newline convention per file, and producers
 * mix them (an editor saving one line); a CR that ends a chunk waits for the next one.
 */
function normalizeNewlines(): Transform {
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let data = pendingCr ? Buffer.concat([Buffer.from([0x0d]), chunk]) : chunk;
      pendingCr = data.length > 0 && data[data.length - 1] === 0x0d;
      if (pendingCr) data = data.subarray(0, data.length - 1);
      if (data.indexOf(0x0d) === -1) return done(null, data);
      const out = Buffer.allocUnsafe(data.length);
      let n = 0;
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 0x0d && data[i + 1] === 0x0a) continue;
        out[n++] = data[i];
      }
      done(null, out.subarray(0, n));
    },
    flush(done) {
      if (pendingCr) this.push(Buffer.from([0x0d]));
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
  stages.push(stripBom(), normalizeNewlines(), counter((c) => (textBytes += c.length)));
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

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type * as fsPromises from 'node:fs/promises';
import type * as sourceFile from '../../lambdas/transform/source-file';
import { materialize, UnreadableFileError } from '../../lambdas/transform/source-file';

/** Materializes `chunks` (as an S3 body would deliver them) and returns the text and what was measured. */
async function text(chunks: (string | Buffer)[], key = 'prints/a.json') {
  const path = join(mkdtempSync(join(tmpdir(), 'source-')), 'source.txt');
  const buffers = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'binary') : c));
  const source = await materialize(Readable.from(buffers), path, { scan: { format: 'json-array', maxLineBytes: 1 << 20 } });
  void key;
  const stored = Buffer.concat(buffers);
  expect(source.storedBytes).toBe(stored.length);
  const out = readFileSync(path);
  // The content identity is the decoded text's (no lines were set aside in these cases).
  expect(source.sha256).toBe(createHash('sha256').update(out).digest('hex'));
  expect(source.textBytes).toBe(out.length);
  return out.toString('binary');
}

describe('materialize: stored bytes to the text the engine reads', () => {
  it.each<[string, string[], string]>([
    ['plain text passes unchanged', ['a\nb\n'], 'a\nb\n'],
    ['a BOM is dropped', ['\xef\xbb\xbfa\n'], 'a\n'],
    ['a BOM cut over three chunks is dropped', ['\xef', '\xbb', '\xbfa\n'], 'a\n'],
    ['bytes that only start like a BOM are kept', ['\xef\xbbx\n'], '\xef\xbbx\n'],
    ['a file shorter than a BOM is kept', ['a'], 'a'],
    ['CRLF becomes LF', ['a\r\nb\r\n'], 'a\nb\n'],
    ['CRLF cut between chunks becomes LF', ['a\r', '\nb\r', '\n'], 'a\nb\n'],
    ['mixed line ends', ['a\r\nb\nc\r\n'], 'a\nb\nc\n'],
    ['a CR not followed by LF is kept', ['a\rb\n'], 'a\rb\n'],
    ['a CR ending the file is kept', ['a\r'], 'a\r'],
    ['BOM and CRLF together', ['\xef\xbb\xbfa\r\n', 'b\r\n'], 'a\nb\n'],
  ])('%s', async (_case, chunks, expected) => {
    expect(await text(chunks)).toBe(expected);
  });

  it('writes a body larger than its write buffers byte for byte, whatever the chunk sizes', async () => {
    // 9.5 MB of numbered lines with CRLF ends, cut into chunks of varying odd sizes: several 4 MB writes.
    const lines = Array.from({ length: 500_000 }, (_, i) => `line ${String(i).padStart(12, '0')}\r\n`).join('');
    const stored = Buffer.from(lines, 'binary');
    const chunks: Buffer[] = [];
    for (let offset = 0, size = 1; offset < stored.length; offset += size, size = (size * 7919) % 65_521 || 1) {
      chunks.push(stored.subarray(offset, offset + size));
    }
    expect(stored.length).toBeGreaterThan(9 * 1024 * 1024);
    expect(await text(chunks)).toBe(lines.replace(/\r\n/g, '\n'));
  });

  it('gunzips .gz objects, hashing the stored (compressed) bytes', async () => {
    const gz = gzipSync(Buffer.from('\xef\xbb\xbfa\r\nb\n', 'binary'));
    expect(await text([gz.subarray(0, 5), gz.subarray(5)], 'prints/a.json.gz')).toBe('a\nb\n');
  });

  it('a corrupt gzip body that fails while the output file is still being opened is unreadable too, never an unhandled error', async () => {
    // A slow open() leaves the body time to reach gunzip and fail before the loop reads from it (seen with
    // LocalStack's fast responses); the error must still come out of materialize, as a bad file.
    await jest.isolateModulesAsync(async () => {
      jest.doMock('node:fs/promises', () => {
        const real = jest.requireActual<typeof fsPromises>('node:fs/promises');
        return { ...real, open: async (...args: Parameters<typeof real.open>) => (await new Promise((r) => setTimeout(r, 200)), real.open(...args)) };
      });
      const slow = (await import('../../lambdas/transform/source-file')) as typeof sourceFile;
      const body = new PassThrough();
      body.end(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x00]), Buffer.from('not gzip at all, '.repeat(1000))]));
      const path = join(mkdtempSync(join(tmpdir(), 'source-')), 'source.txt');
      await expect(slow.materialize(body, path, { scan: { format: 'ndjson', maxLineBytes: 1 << 20 } }))
        .rejects.toThrow(/^not a valid gzip file: /);
    });
  });

  it('a corrupt gzip object is unreadable, with the reason', async () => {
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]);
    await expect(text([corrupt], 'prints/a.json.gz')).rejects.toThrow(UnreadableFileError);
    await expect(text([corrupt], 'prints/a.json')).rejects.toThrow(/^not a valid gzip file: /);
  });

  it('gzip is recognised by its magic bytes, whatever the key; the content hash is the decoded text', async () => {
    const plain = Buffer.from('{"a":1}\r\n{"a":2}\n');
    const decode = async (bytes: Buffer) =>
      materialize(Readable.from([bytes]), join(mkdtempSync(join(tmpdir(), 'source-')), 'source.txt'), { scan: { format: 'ndjson', maxLineBytes: 1 << 20 } });
    const [a, b] = [await decode(plain), await decode(gzipSync(plain))];
    expect(b.gzip).toBe(true);
    expect(a.gzip).toBe(false);
    expect(readFileSync(b.path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(b.sha256).toBe(a.sha256);
    expect(a.scan.records).toBe(2);
  });

  it('a corrupt gzip tail still counts the records decoded before it', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}\n{"a":2}\n'.repeat(5000)));
    const cut = gz.subarray(0, gz.length - 20);
    const path = join(mkdtempSync(join(tmpdir(), 'source-')), 'source.txt');
    const error = await materialize(Readable.from([cut]), path, { scan: { format: 'ndjson', maxLineBytes: 1 << 20 } }).catch((e: UnreadableFileError) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as UnreadableFileError).records).toBeGreaterThan(9000);
  });
});

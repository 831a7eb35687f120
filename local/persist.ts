import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BucketPurpose } from '../lib/naming';
import { manifestKey } from '../lambdas/shared/manifest';
import { fileIdOf, isFolderMarker } from '../lambdas/transform/keys';

/**
 * What the local platform keeps between commands. The emulators keep nothing once stopped (moto has no
 * persistence; LocalStack Community neither), so the platform saves the buckets' objects and the PII
 * hashing key into the state folder when it stops, and puts them back when it starts.
 */
export interface SavedData {
  /** Format of `index.json`; a platform refuses data of a format it does not know. */
  readonly format: 1;
  readonly savedAt: string;
  /** Stage whose buckets the objects came from: restored only into the same stage's. */
  readonly stage: string;
  /** The PII hashing key: restored with silver, so that a user hashed before and after a restart is one user. */
  readonly piiKey: string;
  readonly objects: readonly SavedObject[];
}

export interface SavedObject {
  readonly bucket: BucketPurpose;
  /** The S3 key, exactly (any character); stored under `file`, a number, so that no key is a path problem. */
  readonly key: string;
  readonly file: string;
  /** Its ETag when saved: the transform's file id of it derives from it. */
  readonly eTag?: string;
  /**
   * Bronze: whether the transform had processed it when saved. Decided at save time and carried across
   * restores, since a restored object has a new ETag (a multipart one comes back single-part).
   */
  readonly processed?: boolean;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Buckets whose objects are kept: the data (access logs and Athena results are the platform's own scratch). */
export const SAVED_BUCKETS: readonly BucketPurpose[] = ['bronze', 'silver', 'quarantine', 'gold'];

const INDEX = 'index.json';

/** What a restore put back into bronze, by key: the ETag the emulator gave it and whether it had been processed. */
export type RestoredBronze = Map<string, { readonly eTag: string | undefined; readonly processed: boolean }>;

/** Where the previous save waits while a new one is swapped in (see `saveData`). */
const previousOf = (dir: string) => `${dir}.previous`;

/** The data saved in `dir`, or undefined when nothing was saved there. @throws Error on an index this version cannot read */
export function readSavedData(dir: string): SavedData | undefined {
  // A save stopped between its two renames left the previous data beside the folder: that is the data.
  if (!existsSync(dir) && existsSync(join(previousOf(dir), INDEX))) renameSync(previousOf(dir), dir);
  const path = join(dir, INDEX);
  if (!existsSync(path)) return undefined;
  let data: SavedData;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as SavedData;
  } catch (e) {
    throw new Error(`the saved data index ${path} is not valid JSON (${(e as Error).message}); remove ${dir} (\`local down --purge\`) to start empty`);
  }
  if (data.format !== 1) throw new Error(`the saved data in ${dir} has format ${String(data.format)}, this version reads format 1; remove it (\`local down --purge\`) to start empty`);
  return data;
}

/** Every key of a bucket, page after page. */
export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/**
 * Saves the latest version of every object of the data buckets and the PII key into `dir`, replacing what
 * was saved there: written beside it first, then swapped in by two renames (the previous save kept until
 * the new one is in place), so that a save that fails or is stopped half-way leaves the previous one whole.
 * Files are readable by their owner only (bronze holds PII in clear).
 * @param restored what the platform's restore put back into bronze (whether each was processed)
 * @returns the number of objects saved
 */
export async function saveData(
  s3: S3Client,
  buckets: Readonly<Record<BucketPurpose, string>>,
  stage: string,
  piiKey: string,
  dir: string,
  restored: RestoredBronze = new Map(),
): Promise<number> {
  const next = `${dir}.saving-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(join(next, 'objects'), { recursive: true, mode: 0o700 });
  const silverKeys = new Set(await listKeys(s3, buckets.silver));
  const objects: SavedObject[] = [];
  for (const bucket of SAVED_BUCKETS) {
    for (const key of bucket === 'silver' ? [...silverKeys] : await listKeys(s3, buckets[bucket])) {
      const out = await s3.send(new GetObjectCommand({ Bucket: buckets[bucket], Key: key }));
      const file = `objects/${objects.length}`;
      writeFileSync(join(next, file), await out.Body!.transformToByteArray(), { mode: 0o600 });
      const eTag = out.ETag?.replace(/"/g, '');
      const before = restored.get(key);
      objects.push({
        bucket,
        key,
        file,
        ...(eTag ? { eTag } : {}),
        ...(bucket === 'bronze'
          ? { processed: before && before.eTag === eTag ? before.processed : silverKeys.has(manifestKey(fileIdOf({ bucket: buckets.bronze, key, eTag }))) }
          : {}),
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        ...(out.ContentEncoding ? { contentEncoding: out.ContentEncoding } : {}),
        ...(out.Metadata && Object.keys(out.Metadata).length > 0 ? { metadata: out.Metadata } : {}),
      });
    }
  }
  const data: SavedData = { format: 1, savedAt: new Date().toISOString(), stage, piiKey, objects };
  writeFileSync(join(next, INDEX), `${JSON.stringify(data, null, 1)}\n`, { mode: 0o600 });
  const previous = previousOf(dir);
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, previous);
  renameSync(next, dir);
  rmSync(previous, { recursive: true, force: true });
  return objects.length;
}

/**
 * Puts saved objects back into the buckets. Called twice by the platform's start: before the bronze
 * notification exists with `which: 'processed'` (every object but bronze files without a run manifest, so
 * nothing processed is processed again), and after it with `which: 'unprocessed'` (bronze files saved
 * before the transform got to them, which are then processed as if just dropped).
 * @returns the number of objects put
 */
export async function restoreData(
  s3: S3Client,
  buckets: Readonly<Record<BucketPurpose, string>>,
  dir: string,
  data: SavedData,
  which: 'processed' | 'unprocessed',
  restored: RestoredBronze,
): Promise<number> {
  const manifests = new Set(data.objects.filter((o) => o.bucket === 'silver').map((o) => o.key));
  const processed = (o: SavedObject) => o.processed ?? manifests.has(manifestKey(fileIdOf({ bucket: buckets.bronze, key: o.key, eTag: o.eTag })));
  const unprocessed = (o: SavedObject) => o.bucket === 'bronze' && !isFolderMarker(o.key) && !processed(o);
  let put = 0;
  for (const o of data.objects) {
    if (unprocessed(o) !== (which === 'unprocessed')) continue;
    const body = readFileSync(join(dir, o.file));
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: buckets[o.bucket],
        Key: o.key,
        Body: body,
        ContentLength: body.length,
        ContentType: o.contentType,
        ContentEncoding: o.contentEncoding,
        Metadata: o.metadata as Record<string, string> | undefined,
      }),
    );
    if (o.bucket === 'bronze') restored.set(o.key, { eTag: out.ETag?.replace(/"/g, ''), processed: which === 'processed' });
    put++;
  }
  return put;
}

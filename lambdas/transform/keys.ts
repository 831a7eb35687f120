/**
 * Where the transform writes: one module for the layout of every object key it derives, so that the
 * writer, the overwrite clean-up and the tests agree.
 */
import { createHash } from 'node:crypto';
import { OPERATIONS_PREFIX } from '../shared/manifest';

export { contentMarkerKey, manifestKey } from '../shared/manifest';

/** The bronze object a notification is about. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
}

const sha = (text: string, length = 32): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * Deterministic id of one version of a source object, from its bucket, key and ETag: a redelivered
 * notification, a replay, or the same bytes written again at the same key all get the same id, so their
 * outputs overwrite each other instead of adding up. (Version ids are not used: not every S3
 * implementation puts them in notifications.)
 */
export function fileIdOf(ref: ObjectRef): string {
  return sha(`${ref.bucket}/${ref.key}@${(ref.eTag ?? '').replace(/"/g, '')}`);
}

/** The record of which version of a bronze key silver currently holds (see `KeyState`). */
export const keyStateKey = (ref: Pick<ObjectRef, 'bucket' | 'key'>): string => `${OPERATIONS_PREFIX}keys/${sha(`${ref.bucket}/${ref.key}`)}.json`;

/** Key of a silver Parquet or quarantine JSON-lines object of a file, in partition `dt`. */
export function outputKey(dataset: string, dt: string, fileId: string, index: number, count: number, extension: 'parquet' | 'jsonl'): string {
  return `${dataset}/dt=${dt}/${fileId}${count > 1 ? `-${index}` : ''}.${extension}`;
}

/** Whether a key is a folder marker (`prints/`, as consoles create): not a file, ignored. */
export const isFolderMarker = (key: string): boolean => key.endsWith('/');

/**
 * Which version of a bronze key silver holds: the file id of that version and every object it wrote. A
 * new version of the key replaces it (its objects are deleted once the new ones are written).
 */
export interface KeyState {
  readonly key: string;
  readonly file_id: string;
  readonly version_id: string | null;
  readonly etag: string | null;
  readonly content_sha256: string | null;
  /** Silver and quarantine objects written by that version, as `bucket/key`. */
  readonly objects: readonly string[];
}

import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { RunManifest } from '../lambdas/shared/manifest';
import { manifestKey } from '../lambdas/shared/manifest';
import { isFolderMarker } from '../lambdas/transform/keys';
import { fileIdOf, type ObjectRef } from '../lambdas/transform/keys';
import type { LocalPlatform } from './platform';
import { pumpOnce, type SqsHandler } from './sqs-pump';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** Uploads every file under `inputDir` to bronze at its relative path (`<dataset>/<file>`). */
export async function uploadDirectory(platform: LocalPlatform, inputDir: string, onProgress?: (done: number, total: number) => void): Promise<ObjectRef[]> {
  const refs: ObjectRef[] = [];
  const files = walk(inputDir);
  for (const file of files) {
    const key = relative(inputDir, file).split(sep).join('/');
    refs.push(await uploadFile(platform, file, key));
    onProgress?.(refs.length, files.length);
  }
  return refs;
}

export async function uploadFile(platform: LocalPlatform, file: string, key: string): Promise<ObjectRef> {
  const out = await platform.s3.send(
    new PutObjectCommand({ Bucket: platform.buckets.bronze, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }),
  );
  return { bucket: platform.buckets.bronze, key, ...(out.VersionId ? { versionId: out.VersionId } : {}), ...(out.ETag ? { eTag: out.ETag.replace(/"/g, '') } : {}) };
}

export async function readManifest(platform: LocalPlatform, ref: ObjectRef): Promise<RunManifest | undefined> {
  try {
    const out = await platform.s3.send(new GetObjectCommand({ Bucket: platform.buckets.silver, Key: manifestKey(fileIdOf(ref)) }));
    return JSON.parse(await out.Body!.transformToString()) as RunManifest;
  } catch (e) {
    if (e instanceof S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404)) return undefined;
    throw e;
  }
}

export interface DrainOptions {
  readonly timeoutMs?: number;
  /** Called after each batch with the number of objects that reached a final status. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * False when another process (a platform started by `local up`/`serve`) consumes the queue: only wait
   * for the manifests. @default true: run the transform on the queue's notifications here
   */
  readonly pump?: boolean;
  /** Filled with each manifest as it appears, by file id: what was done when the wait fails. */
  readonly found?: Map<string, RunManifest>;
}

/**
 * Runs the transform on the queue's notifications until every given object has its run manifest.
 * @throws Error naming the objects still pending when the timeout passes
 */
export async function processUntilDone(platform: LocalPlatform, handler: SqsHandler, refs: readonly ObjectRef[], options: DrainOptions = {}): Promise<RunManifest[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  // A folder marker is not a file: the transform ignores it and writes no manifest.
  refs = refs.filter((r) => !isFolderMarker(r.key));
  const manifests = options.found ?? new Map<string, RunManifest>();
  const pump = options.pump ?? true;
  while (manifests.size < refs.length) {
    const { received } = pump ? await pumpOnce(platform, handler) : { received: 0 };
    for (const ref of refs) {
      if (manifests.has(fileIdOf(ref))) continue;
      const manifest = await readManifest(platform, ref);
      if (manifest) manifests.set(fileIdOf(ref), manifest);
    }
    options.onProgress?.(manifests.size, refs.length);
    if (manifests.size < refs.length && Date.now() > deadline) {
      const pending = refs.filter((r) => !manifests.has(fileIdOf(r))).map((r) => r.key);
      throw new Error(`timed out waiting for ${pending.length} object(s) to be processed: ${pending.slice(0, 10).join(', ')}`);
    }
    if (received === 0 && manifests.size < refs.length) await new Promise((r) => setTimeout(r, pump ? 50 : 200));
  }
  return refs.map((r) => manifests.get(fileIdOf(r))!);
}

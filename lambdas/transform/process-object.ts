import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { DatasetContract } from '../shared/contracts';
import { MANIFEST_COLUMNS, contentMarkerKey, manifestKey, type PartitionWritten, type RunManifest } from '../shared/manifest';
import { removeWorkDir, transformFile, type EngineResult } from './engine';
import { materialize, UnreadableFileError, type SourceFile } from './source-file';
import type { PiiPads } from './sql';

export interface TransformSettings {
  readonly silverBucket: string;
  readonly quarantineBucket: string;
  /** Bucket holding run manifests and content markers under `_operations/`. */
  readonly operationsBucket: string;
  readonly projectionStartDate: string;
  /** Local scratch folder. */
  readonly workDir: string;
}

export interface TransformDeps {
  readonly s3: S3Client;
  readonly contracts: ReadonlyMap<string, DatasetContract>;
  readonly settings: TransformSettings;
  readonly piiPads: () => Promise<PiiPads>;
  readonly now?: () => Date;
}

/** The bronze object a notification is about. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
}

/**
 * Deterministic id of a source object, from its bucket, key and ETag: a redelivered notification, a
 * replay, or the same bytes written again at the same key all get the same id, so their outputs overwrite
 * each other instead of adding up. (Version ids are not used: not every S3 implementation puts them in
 * notifications.)
 */
export function fileIdOf(ref: ObjectRef): string {
  const identity = `${ref.bucket}/${ref.key}@${(ref.eTag ?? '').replace(/"/g, '')}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

function isMissing(e: unknown): boolean {
  return e instanceof S3ServiceException && ['NoSuchKey', 'NoSuchVersion', 'NotFound'].includes(e.name);
}

function isPreconditionFailed(e: unknown): boolean {
  return e instanceof S3ServiceException && (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412);
}

async function putJson(s3: S3Client, bucket: string, key: string, body: unknown, ifNoneMatch = false): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json', ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}) }),
  );
}

async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await out.Body!.transformToString('utf8')) as T;
}

/** Non-blank lines of a local text file, minus a CSV header: the rows of a file that could not be parsed. */
function countRows(path: string, csv: boolean): number {
  try {
    if (statSync(path).size > 512 * 1024 * 1024) return 0;
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
    return Math.max(0, lines - (csv ? 1 : 0));
  } catch {
    return 0;
  }
}

interface ContentMarker {
  readonly file_id: string;
  readonly key: string;
  readonly version_id: string | null;
}

/**
 * Processes one bronze object end to end: reads it, refuses unknown datasets and byte-identical
 * re-deliveries, validates and converts every row, writes silver Parquet and quarantine JSON lines under
 * deterministic names, and records the run manifest. Bad data never throws: it is quarantined and
 * recorded. S3 and engine failures throw, so the message is retried.
 */
export async function processObject(ref: ObjectRef, deps: TransformDeps): Promise<RunManifest> {
  const now = deps.now ?? (() => new Date());
  const started = Date.now();
  const { s3, settings } = deps;
  const fileId = fileIdOf(ref);
  const dataset = ref.key.includes('/') ? ref.key.split('/')[0] : null;
  const contract = dataset === null ? undefined : deps.contracts.get(dataset);
  const base = {
    dataset,
    key: ref.key,
    version_id: ref.versionId ?? null,
    etag: ref.eTag ?? null,
    file_id: fileId,
    rows_in: 0,
    rows_valid: 0,
    rows_quarantined: 0,
    rows_superseded: 0,
    reasons: {},
    partitions: [],
    quarantine: [],
    content_sha256: null,
    duplicate_of: null,
    bytes: 0,
    error: null,
  };
  const finish = async (fields: Partial<RunManifest> & Pick<RunManifest, 'status'>): Promise<RunManifest> => {
    const full: RunManifest = { ...base, ...fields, processed_at: now().toISOString(), duration_ms: Date.now() - started };
    // Exactly the columns of the Glue table, in its order.
    const manifest = Object.fromEntries(MANIFEST_COLUMNS.map(([column]) => [column, full[column]])) as unknown as RunManifest;
    await putJson(s3, settings.operationsBucket, manifestKey(fileId), manifest);
    return manifest;
  };

  if (!contract) {
    const known = [...deps.contracts.keys()].sort().join(', ');
    const error = dataset === null
      ? `key '${ref.key}' has no dataset prefix; drop files under <dataset>/ (known datasets: ${known})`
      : `no contract for dataset '${dataset}' (key '${ref.key}'); known datasets: ${known}. Add contracts/${dataset}.yaml or move the file under a known prefix`;
    return finish({ status: 'rejected', error });
  }

  const work = join(settings.workDir, fileId);
  mkdirSync(work, { recursive: true });
  try {
    let body: Readable;
    let versionId = ref.versionId;
    let eTag = ref.eTag;
    let lastModified: Date;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) }));
      body = object.Body as Readable;
      versionId = object.VersionId ?? versionId;
      eTag = (object.ETag ?? eTag)?.replace(/"/g, '');
      lastModified = object.LastModified ?? now();
    } catch (e) {
      if (isMissing(e)) return finish({ status: 'rejected', error: `object ${ref.key}${ref.versionId ? ` version ${ref.versionId}` : ''} no longer exists in bronze` });
      throw e;
    }
    Object.assign(base, { version_id: versionId ?? null, etag: eTag ?? null });

    let source: SourceFile;
    try {
      source = await materialize(body, ref.key, join(work, 'source.txt'));
    } catch (e) {
      if (e instanceof UnreadableFileError) return quarantineWhole(e.message, 0);
      throw e;
    }
    Object.assign(base, { content_sha256: source.sha256, bytes: source.storedBytes });

    // Claim the content: the first object with these bytes owns them; later ones are duplicates.
    const markerKey = contentMarkerKey(contract.name, source.sha256);
    const marker: ContentMarker = { file_id: fileId, key: ref.key, version_id: versionId ?? null };
    try {
      await putJson(s3, settings.operationsBucket, markerKey, marker, true);
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      const owner = await readJson<ContentMarker>(s3, settings.operationsBucket, markerKey);
      if (owner.file_id !== fileId) return finish({ status: 'duplicate', duplicate_of: owner.key });
    }

    let result: EngineResult;
    try {
      result = await transformFile({
        contract,
        textPath: source.path,
        lineage: { sourceKey: ref.key, sourceVersion: versionId ?? eTag ?? '', fileId, ingestedAt: lastModified.toISOString() },
        outDir: join(work, 'out'),
        projectionStartDate: settings.projectionStartDate,
        ...(contract.properties.some((p) => p.pii) ? { pii: await deps.piiPads() } : {}),
      });
    } catch (e) {
      if (e instanceof UnreadableFileError) return quarantineWhole(e.message, countRows(source.path, contract.format === 'csv'));
      throw e;
    }
    const partitions = await upload(result.silver, settings.silverBucket, 'parquet', 'application/vnd.apache.parquet');
    const quarantine = await upload(result.quarantine, settings.quarantineBucket, 'jsonl', 'application/x-ndjson');
    return finish({
      status: 'ingested',
      rows_in: result.rowsIn,
      rows_valid: result.rowsValid,
      rows_quarantined: result.rowsQuarantined,
      rows_superseded: result.rowsSuperseded,
      reasons: result.reasons,
      partitions,
      quarantine,
    });
  } finally {
    removeWorkDir(work);
  }

  async function upload(outputs: EngineResult['silver'], bucket: string, extension: string, contentType: string): Promise<PartitionWritten[]> {
    const written: PartitionWritten[] = [];
    for (const partition of outputs) {
      const multiple = partition.files.length > 1;
      const keys: string[] = [];
      for (const [i, file] of partition.files.entries()) {
        const key = `${contract!.name}/dt=${partition.dt}/${fileId}${multiple ? `-${i}` : ''}.${extension}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size, ContentType: contentType }));
        keys.push(key);
      }
      written.push({ dt: partition.dt, rows: partition.rows, key: keys[0] });
    }
    return written;
  }

  async function quarantineWhole(reason: string, rows: number): Promise<RunManifest> {
    const key = `${contract!.name}/dt=unknown/${fileId}.jsonl`;
    const record = { source_key: ref.key, line: null, reasons: [`unreadable file: ${reason}`], record: null, whole_file: true };
    await s3.send(new PutObjectCommand({ Bucket: settings.quarantineBucket, Key: key, Body: `${JSON.stringify(record)}\n`, ContentType: 'application/x-ndjson' }));
    return finish({
      status: 'quarantined',
      rows_in: rows,
      rows_quarantined: rows,
      reasons: { [`unreadable file: ${reason}`]: rows },
      quarantine: [{ dt: 'unknown', rows, key }],
      error: reason,
    });
  }
}

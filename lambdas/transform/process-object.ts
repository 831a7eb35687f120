import { mkdirSync, writeFileSync, createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DatasetContract } from '../shared/contracts';
import { MANIFEST_COLUMNS, type PartitionWritten, type RunManifest } from '../shared/manifest';
import { removeWorkDir, transformFile, type EngineResult, type PartitionOutput } from './engine';
import { contentMarkerKey, fileIdOf, isFolderMarker, keyStateKey, manifestKey, outputKey, type KeyState, type ObjectRef } from './keys';
import { scanOptionsFor } from './limits';
import { quarantineLine } from './quarantine-record';
import { materialize, UnreadableFileError, type SourceFile } from './source-file';
import type { PiiPads } from './sql';

export { fileIdOf, type ObjectRef } from './keys';

export interface TransformSettings {
  readonly silverBucket: string;
  readonly quarantineBucket: string;
  /** Bucket holding run manifests, content markers and key states under `_operations/`. */
  readonly operationsBucket: string;
  readonly projectionStartDate: string;
  /** Events later than this many days after processing are quarantined (the catalog shows as far). */
  readonly futureHorizonDays?: number;
  /** Largest decoded text of one file, in bytes; larger files are quarantined whole. */
  readonly maxTextBytes?: number;
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

function isMissing(e: unknown): boolean {
  return e instanceof S3ServiceException && ['NoSuchKey', 'NoSuchVersion'].includes(e.name);
}

function isPreconditionFailed(e: unknown): boolean {
  return e instanceof S3ServiceException && (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412);
}

async function putJson(s3: S3Client, bucket: string, key: string, body: unknown, condition: { ifNoneMatch?: boolean; ifMatch?: string } = {}): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
      ...(condition.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      ...(condition.ifMatch ? { IfMatch: condition.ifMatch } : {}),
    }),
  );
}

async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<{ value: T; eTag: string } | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { value: JSON.parse(await out.Body!.transformToString('utf8')) as T, eTag: out.ETag! };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

interface ContentMarker {
  readonly file_id: string;
  readonly key: string;
  readonly version_id: string | null;
}

/** What a file's processing came to, before it is published: the manifest fields and the local outputs. */
interface Outcome {
  readonly fields: Partial<RunManifest> & Pick<RunManifest, 'status'>;
  readonly silver: readonly PartitionOutput[];
  readonly quarantine: readonly PartitionOutput[];
}

const NOTHING_READ: EngineResult = { rowsIn: 0, rowsValid: 0, rowsQuarantined: 0, rowsSuperseded: 0, reasons: {}, silver: [], quarantine: [], readPath: 'full' };

/**
 * Processes one bronze object end to end, as a short pipeline of steps that each return an outcome:
 * resolve the contract → fetch the object → decode it (gunzip, text, record scan) → transform → claim its
 * content → publish (write silver and quarantine, make this version the one silver holds for the key,
 * remove what the key's previous version contributed) → the run manifest, written in one place.
 * Bad data never throws: it is quarantined and recorded. S3 and engine failures throw, so the message is
 * retried. A folder marker (a key ending in `/`) is not a file: it is ignored (undefined).
 */
export async function processObject(ref: ObjectRef, deps: TransformDeps): Promise<RunManifest | undefined> {
  if (isFolderMarker(ref.key)) return undefined;
  const now = deps.now ?? (() => new Date());
  const started = Date.now();
  const { s3, settings } = deps;
  const fileId = fileIdOf(ref);
  const dataset = ref.key.includes('/') ? ref.key.split('/')[0] : null;
  const base: RunManifest = {
    dataset,
    key: ref.key,
    version_id: ref.versionId ?? null,
    etag: ref.eTag?.replace(/"/g, '') ?? null,
    file_id: fileId,
    status: 'rejected',
    rows_in: 0,
    rows_valid: 0,
    rows_quarantined: 0,
    rows_superseded: 0,
    reasons: {},
    partitions: [],
    quarantine: [],
    content_sha256: null,
    duplicate_of: null,
    supersedes: null,
    superseded_by: null,
    bytes: 0,
    processed_at: '',
    duration_ms: 0,
    error: null,
  };
  /** The one place a manifest is written: exactly the columns of the Glue table, in its order. */
  const record = async (fields: Partial<RunManifest>): Promise<RunManifest> => {
    const full: RunManifest = { ...base, ...fields, processed_at: now().toISOString(), duration_ms: Date.now() - started };
    // The promise every manifest keeps; a breach is a defect of ours: fail, so the message is retried and
    // ends in the dead-letter queue (with its alarm) instead of recording a count that loses rows.
    if (full.rows_in !== full.rows_valid + full.rows_quarantined || full.rows_valid < 0 || full.rows_quarantined < 0) {
      throw new Error(`internal error: ${ref.key} would be recorded with rows_in ${full.rows_in} ≠ rows_valid ${full.rows_valid} + rows_quarantined ${full.rows_quarantined}`);
    }
    const manifest = Object.fromEntries(MANIFEST_COLUMNS.map(([column]) => [column, full[column]])) as unknown as RunManifest;
    await putJson(s3, settings.operationsBucket, manifestKey(fileId), manifest);
    return manifest;
  };

  // 1. Resolve the contract.
  const contract = dataset === null ? undefined : deps.contracts.get(dataset);
  if (!contract) {
    const known = [...deps.contracts.keys()].sort().join(', ');
    const error = dataset === null
      ? `key '${ref.key}' has no dataset prefix; drop files under <dataset>/ (known datasets: ${known})`
      : `no contract for dataset '${dataset}' (key '${ref.key}'); known datasets: ${known}. Add contracts/${dataset}.yaml or move the file under a known prefix`;
    return record({ status: 'rejected', error });
  }

  const work = join(settings.workDir, fileId);
  mkdirSync(work, { recursive: true });
  try {
    // 2. Fetch: the version named, and only while it is the key's current version.
    const current = await currentVersion(ref);
    if (current === 'missing') return record(missingFields());
    if (current.superseded) return record(supersededFields(current.newer));
    let body: Readable;
    let lastModified: Date;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) }));
      body = object.Body as Readable;
      Object.assign(base, { version_id: object.VersionId ?? base.version_id, etag: object.ETag?.replace(/"/g, '') ?? base.etag });
      lastModified = object.LastModified ?? now();
    } catch (e) {
      if (isMissing(e)) return record(missingFields());
      throw e;
    }

    // 3. Decode, then 4. transform.
    const outcome = await transform(contract, body, lastModified);

    // 5. Claim the content: the first file with this decoded content owns it; later ones are duplicates.
    let fields = outcome.fields;
    let silver = outcome.silver;
    let quarantine = outcome.quarantine;
    if (fields.status === 'ingested' && base.content_sha256) {
      const owner = await claimContent(contract.name, base.content_sha256);
      if (owner) {
        fields = { status: 'duplicate', duplicate_of: owner.key, rows_in: 0, rows_valid: 0, rows_quarantined: 0, reasons: {} };
        silver = [];
        quarantine = [];
        // The same bytes again under the same key, as a new version with another ETag (a multipart upload, a
        // re-sent file): silver already holds them from the version that owns the content. Taking the key
        // over would delete that version's rows and leave none; the key stays with it.
        if (owner.key === ref.key) return record({ ...fields, partitions: [], quarantine: [], supersedes: null });
      }
    }

    // 6. Publish.
    const partitions = await upload(contract.name, silver, settings.silverBucket, 'parquet', 'application/vnd.apache.parquet');
    const quarantined = await upload(contract.name, quarantine, settings.quarantineBucket, 'jsonl', 'application/x-ndjson');
    const replaced = await takeOverKey([...partitions, ...quarantined].flatMap((w) => w.keys.map((k) => `${w.bucket}/${k}`)));
    if (replaced === 'superseded') return record(supersededFields('a newer version'));
    return record({ ...fields, partitions: partitions.map(strip), quarantine: quarantined.map(strip), supersedes: replaced ?? null });
  } finally {
    removeWorkDir(work);
  }

  function strip(p: PartitionWritten): PartitionWritten {
    return { dt: p.dt, rows: p.rows, key: p.key };
  }

  function missingFields(): Partial<RunManifest> {
    return { status: 'rejected', error: `object ${ref.key}${ref.versionId ? ` version ${ref.versionId}` : ''} no longer exists in bronze` };
  }

  function supersededFields(newer: string): Partial<RunManifest> {
    return { status: 'superseded', error: `${newer} of ${ref.key} replaced this one before it was published; its rows are not in silver` };
  }

  /** The key's current version per S3, compared with the one notified (by ETag, which every S3 gives). */
  async function currentVersion(of: ObjectRef): Promise<'missing' | { superseded: boolean; newer: string }> {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: of.bucket, Key: of.key }));
      const currentTag = head.ETag?.replace(/"/g, '');
      const mine = of.eTag?.replace(/"/g, '');
      const superseded = (mine !== undefined && currentTag !== undefined && currentTag !== mine) || (of.versionId !== undefined && head.VersionId !== undefined && head.VersionId !== of.versionId && mine === undefined);
      return { superseded, newer: `version ${head.VersionId ?? currentTag ?? '?'}` };
    } catch (e) {
      // A HEAD's 404 does not say whether the key or the bucket is missing: a GET does.
      if (!(e instanceof S3ServiceException && (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404))) throw e;
      try {
        const probe = await s3.send(new GetObjectCommand({ Bucket: of.bucket, Key: of.key, Range: 'bytes=0-0' }));
        await probe.Body?.transformToByteArray();
        return { superseded: false, newer: '' };
      } catch (g) {
        if (isMissing(g)) return 'missing';
        throw g;
      }
    }
  }

  async function transform(c: DatasetContract, body: Readable, lastModified: Date): Promise<Outcome> {
    let source: SourceFile;
    try {
      source = await materialize(body, join(work, 'source.txt'), { scan: scanOptionsFor(c), maxTextBytes: settings.maxTextBytes });
    } catch (e) {
      if (e instanceof UnreadableFileError) return wholeFile(c, e.message, Math.max(1, e.records ?? 0));
      throw e;
    }
    Object.assign(base, { content_sha256: source.sha256, bytes: source.storedBytes });
    const records = source.scan.records;
    if (source.tooLarge) {
      return wholeFile(c, `decoded size ${source.textBytes} bytes is over the limit of ${source.tooLarge.limit} bytes for one file (stage config transform.maxFileMiB); split the file`, records ?? 0);
    }
    const scanRejects = source.scan.rejects;
    let result: EngineResult;
    try {
      // Every record set aside by the scan: nothing is left for the engine (an NDJSON text of empty lines).
      if (records !== undefined && records > 0 && records === scanRejects.length && c.format !== 'csv') result = NOTHING_READ;
      else result = await transformFile({
        contract: c,
        textPath: source.path,
        pieces: source.pieces,
        ...(source.scan.skippedLines ? { csvSkippedLines: source.scan.skippedLines, csvContinuationLines: source.scan.continuationLines ?? [] } : {}),
        lineage: { sourceKey: ref.key, sourceVersion: base.version_id ?? base.etag ?? '', fileId, ingestedAt: lastModified.toISOString() },
        outDir: join(work, 'out'),
        projectionStartDate: settings.projectionStartDate,
        latestEventTime: latestEventTime(),
        ...(c.properties.some((p) => p.pii) ? { pii: await deps.piiPads() } : {}),
      });
    } catch (e) {
      if (e instanceof UnreadableFileError) return wholeFile(c, e.message, records ?? 1);
      throw e;
    }
    // The lines the scan set aside are quarantined rows of their own, in partition `unknown`.
    const reasons: Record<string, number> = { ...result.reasons };
    const quarantine = [...result.quarantine];
    if (scanRejects.length > 0) {
      const path = join(work, 'scan-rejects.json');
      writeFileSync(path, scanRejects.map((r) => quarantineLine(c, { sourceKey: ref.key, sourceVersion: base.version_id, line: r.line, reasons: [r.reason], raw: r.raw, offset: r.offset, bytes: r.bytes })).join(''));
      for (const r of scanRejects) reasons[reasonClass(r.reason)] = (reasons[reasonClass(r.reason)] ?? 0) + 1;
      quarantine.push({ dt: 'unknown', files: [path], rows: scanRejects.length });
    }
    let rowsIn = result.rowsIn + scanRejects.length;
    let rowsQuarantined = result.rowsQuarantined + scanRejects.length;
    // The scan's count is what the file holds: the engine must have accounted for every record of it.
    if (records !== undefined && rowsIn < records) {
      const missing = records - rowsIn;
      const reason = `record count mismatch: the file holds ${records} records but the reader returned ${rowsIn}; the ${missing} not returned are counted here (read them in bronze)`;
      const path = join(work, 'unaccounted.json');
      writeFileSync(path, quarantineLine(c, { sourceKey: ref.key, sourceVersion: base.version_id, line: null, reasons: [reason] }));
      reasons['record count mismatch'] = missing;
      quarantine.push({ dt: 'unknown', files: [path], rows: missing });
      rowsIn = records;
      rowsQuarantined += missing;
    }
    return {
      fields: { status: 'ingested', rows_in: rowsIn, rows_valid: result.rowsValid, rows_quarantined: rowsQuarantined, rows_superseded: result.rowsSuperseded, reasons },
      silver: result.silver,
      quarantine: mergePartitions(quarantine),
    };
  }

  /** The latest event time accepted: processing time plus the future horizon. */
  function latestEventTime(): Date {
    return new Date(now().getTime() + (settings.futureHorizonDays ?? 1) * 86_400_000);
  }

  /**
   * A file that cannot be read at all: one quarantine record for it, every record it holds counted (those
   * the scan saw; a non-empty file whose records cannot be seen, such as a corrupt gzip, counts as one).
   */
  function wholeFile(c: DatasetContract, reason: string, rows: number): Outcome {
    const path = join(work, 'whole-file.json');
    const text = `unreadable file: ${reason}`;
    writeFileSync(path, quarantineLine(c, { sourceKey: ref.key, sourceVersion: base.version_id, line: null, reasons: [text], wholeFile: true }));
    return {
      fields: { status: 'quarantined', rows_in: rows, rows_quarantined: rows, reasons: { [text]: rows }, error: reason },
      silver: [],
      quarantine: [{ dt: 'unknown', files: [path], rows }],
    };
  }

  /** Claims the content marker; returns the owner when another file already holds this content. */
  async function claimContent(name: string, sha256: string): Promise<ContentMarker | undefined> {
    const markerKey = contentMarkerKey(name, sha256);
    const marker: ContentMarker = { file_id: fileId, key: ref.key, version_id: base.version_id };
    try {
      await putJson(s3, settings.operationsBucket, markerKey, marker, { ifNoneMatch: true });
      return undefined;
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      const owner = await readJson<ContentMarker>(s3, settings.operationsBucket, markerKey);
      return owner && owner.value.file_id !== fileId ? owner.value : undefined;
    }
  }

  /**
   * Makes this version the one silver holds for its key: writes the key state (conditionally, so two
   * versions racing cannot both win), then deletes what the previous version wrote, marks its manifest
   * superseded and releases its content. Returns the previous version's file id (null when none), or
   * `superseded` when a newer version took the key meanwhile (this version's objects are then removed).
   */
  async function takeOverKey(objects: string[]): Promise<string | null | 'superseded'> {
    const stateKey = keyStateKey(ref);
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = await readJson<KeyState>(s3, settings.operationsBucket, stateKey);
      const current = await currentVersion(ref);
      if (current === 'missing' || current.superseded) {
        await deleteObjects(objects.filter((o) => !previous?.value.objects.includes(o)));
        await releaseContent(fileId);
        return 'superseded';
      }
      const state: KeyState = { key: ref.key, file_id: fileId, version_id: base.version_id, etag: base.etag, content_sha256: base.content_sha256, objects };
      try {
        await putJson(s3, settings.operationsBucket, stateKey, state, previous ? { ifMatch: previous.eTag } : { ifNoneMatch: true });
      } catch (e) {
        if (isPreconditionFailed(e)) continue;
        throw e;
      }
      if (!previous || previous.value.file_id === fileId) return null;
      await deleteObjects(previous.value.objects.filter((o) => !objects.includes(o)));
      await releaseContent(previous.value.file_id, previous.value.content_sha256);
      const old = await readJson<RunManifest>(s3, settings.operationsBucket, manifestKey(previous.value.file_id));
      if (old) await putJson(s3, settings.operationsBucket, manifestKey(previous.value.file_id), { ...old.value, status: 'superseded', superseded_by: fileId });
      return previous.value.file_id;
    }
    throw new Error(`could not record the current version of ${ref.key}: the key state kept changing`);
  }

  async function releaseContent(owner: string, sha256: string | null = base.content_sha256): Promise<void> {
    if (!sha256 || !contract) return;
    const markerKey = contentMarkerKey(contract.name, sha256);
    const marker = await readJson<ContentMarker>(s3, settings.operationsBucket, markerKey);
    if (marker?.value.file_id === owner) await s3.send(new DeleteObjectCommand({ Bucket: settings.operationsBucket, Key: markerKey }));
  }

  async function deleteObjects(objects: readonly string[]): Promise<void> {
    for (const object of objects) {
      const slash = object.indexOf('/');
      await s3.send(new DeleteObjectCommand({ Bucket: object.slice(0, slash), Key: object.slice(slash + 1) }));
    }
  }

  async function upload(name: string, outputs: readonly PartitionOutput[], bucket: string, extension: 'parquet' | 'jsonl', contentType: string) {
    const written: (PartitionWritten & { bucket: string; keys: string[] })[] = [];
    for (const partition of outputs) {
      const keys: string[] = [];
      for (const [i, file] of partition.files.entries()) {
        const key = outputKey(name, partition.dt, fileId, i, partition.files.length, extension);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size, ContentType: contentType }));
        keys.push(key);
      }
      written.push({ dt: partition.dt, rows: partition.rows, key: keys[0], bucket, keys });
    }
    return written;
  }
}

/** The reason a scan reject is counted under: its text up to the first colon (`line too long`, `not valid UTF-8`…). */
function reasonClass(reason: string): string {
  return reason.split(':')[0];
}

/** One output per partition, holding every file written for it (the engine's and the scan's `unknown` ones). */
function mergePartitions(outputs: readonly PartitionOutput[]): PartitionOutput[] {
  const byDt = new Map<string, PartitionOutput>();
  for (const o of outputs) {
    const seen = byDt.get(o.dt);
    byDt.set(o.dt, seen ? { dt: o.dt, files: [...seen.files, ...o.files], rows: seen.rows + o.rows } : o);
  }
  return [...byDt.values()].sort((a, b) => a.dt.localeCompare(b.dt));
}

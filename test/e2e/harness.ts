/**
 * The end-to-end harness. Every e2e suite starts what it needs through here: the local platform in the AWS
 * emulator (moto by default, LocalStack with LOCAL_EMULATOR=localstack, or one already running at
 * E2E_ENDPOINT), optionally with the real transform handler or the HTTP API server.
 *
 * Independence: a test reads what it (or a read-only beforeAll) put there. Use keys, days and execution
 * names no other test of the file uses, and scope listings and counts to them (by key prefix, file id or
 * a before/after delta). A suite whose tests need a state the others must not see starts a platform of its
 * own (each start is a fresh emulator unless E2E_ENDPOINT is set).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { RunManifest } from '../../lambdas/shared/manifest';
import type { ObjectRef } from '../../lambdas/transform/keys';
import { processUntilDone, readManifest } from '../../local/ingest';
import { startLocalPlatform, type LocalPlatform } from '../../local/platform';
import { loadTransformHandler } from '../../local/run';
import { startApiServer, type ApiServer, type ServeOptions } from '../../local/serve';
import type { SqsHandler } from '../../local/sqs-pump';

/** The emulator the suite is pointed at (E2E_ENDPOINT; empty counts as unset), else undefined: start one. */
export function e2eEndpoint(): string | undefined {
  return process.env.E2E_ENDPOINT || undefined;
}

/** The local platform with helpers to read what the tests produced. */
export interface E2EPlatform {
  readonly platform: LocalPlatform;
  /** Keys under a prefix of a bucket, sorted. */
  keys(bucket: string, prefix: string): Promise<string[]>;
  text(bucket: string, key: string): Promise<string>;
  bytes(bucket: string, key: string): Promise<Buffer>;
  /** Puts an object into bronze (its notification goes to the platform's queue); returns its reference. */
  put(key: string, body: string | Buffer): Promise<ObjectRef>;
  /** Rows of a silver Parquet object, read with DuckDB (view `t`). */
  parquet(key: string, sql?: string): Promise<Record<string, unknown>[]>;
  /** Rows of a Parquet object of any bucket, read with DuckDB (view `t`). */
  parquetFrom(bucket: string, key: string, sql?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface E2E extends E2EPlatform {
  readonly handler: SqsHandler;
  /** Puts objects into bronze and waits for their manifests (the test pumps the queue through the real handler). */
  ingest(files: Record<string, string | Buffer>): Promise<RunManifest[]>;
}

/** An HTTP answer of the API: status, content type, parsed JSON body (undefined when empty) and headers. */
export interface ApiAnswer {
  readonly status: number;
  readonly type: string | null;
  readonly body: any;
  readonly headers: Headers;
}

export interface E2EApi extends E2EPlatform {
  readonly api: ApiServer;
  /** Sends a request to the API (path relative to its URL). */
  call(path: string, init?: RequestInit): Promise<ApiAnswer>;
  /** Waits for the manifests of bronze objects: the server's background pump processes them. */
  processed(keys: string[], timeoutMs?: number): Promise<RunManifest[]>;
}

/** The platform alone: buckets, queues and the PII key secret in the emulator, nothing processing them. */
export async function startE2EPlatform(): Promise<E2EPlatform> {
  const platform = await startLocalPlatform({ endpoint: e2eEndpoint() });
  const scratch = mkdtempSync(join(tmpdir(), 'e2e-'));
  let db: DuckDBInstance | undefined;
  const bytes = async (bucket: string, key: string) =>
    Buffer.from(await (await platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const parquetFrom = async (bucket: string, key: string, sql = 'SELECT * FROM t') => {
    const path = join(scratch, `${bucket}_${key.replace(/\//g, '_')}`);
    writeFileSync(path, await bytes(bucket, key));
    db ??= await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM read_parquet('${path}')`);
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    connection.closeSync();
    return rows as Record<string, unknown>[];
  };
  return {
    platform,
    async keys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await platform.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    text: async (bucket, key) => (await bytes(bucket, key)).toString('utf8'),
    bytes,
    async put(key, body) {
      const out = await platform.s3.send(new PutObjectCommand({ Bucket: platform.buckets.bronze, Key: key, Body: Buffer.from(body), ContentLength: Buffer.byteLength(body) }));
      return { bucket: platform.buckets.bronze, key, eTag: out.ETag!.replace(/"/g, ''), ...(out.VersionId ? { versionId: out.VersionId } : {}) };
    },
    parquet: (key, sql) => parquetFrom(platform.buckets.silver, key, sql),
    parquetFrom,
    async close() {
      db?.closeSync();
      rmSync(scratch, { recursive: true, force: true });
      await platform.close();
    },
  };
}

/** The platform with the real transform handler, driven by the test: real S3 events, pumped on demand. */
export async function startE2E(): Promise<E2E> {
  const base = await startE2EPlatform();
  const { platform } = base;
  const handler = await loadTransformHandler(platform);
  return {
    ...base,
    handler,
    async ingest(files) {
      const refs = [];
      for (const [key, body] of Object.entries(files)) {
        const { bucket, eTag } = await base.put(key, body);
        refs.push({ bucket, key, eTag });
      }
      const manifests = await processUntilDone(platform, handler, refs, { timeoutMs: 60_000 });
      // The data promise, checked for every file every test ingests: every row accounted for once.
      for (const m of manifests) {
        if (m.rows_in !== m.rows_valid + m.rows_quarantined) throw new Error(`${m.key}: rows_in ${m.rows_in} ≠ rows_valid ${m.rows_valid} + rows_quarantined ${m.rows_quarantined}`);
      }
      return manifests;
    },
  };
}

/** The platform with the HTTP API server on a free port (same handlers as in AWS, local Athena); its pump processes bronze. */
export async function startE2EApi(options: Omit<ServeOptions, 'port'> = {}): Promise<E2EApi> {
  const base = await startE2EPlatform();
  const { platform } = base;
  let api: ApiServer;
  try {
    api = await startApiServer(platform, { ...options, port: 0 });
  } catch (e) {
    await base.close();
    throw e;
  }
  const refOf = async (key: string): Promise<ObjectRef> => {
    const head = await platform.s3.send(new HeadObjectCommand({ Bucket: platform.buckets.bronze, Key: key }));
    return { bucket: platform.buckets.bronze, key, eTag: head.ETag!.replace(/"/g, ''), ...(head.VersionId ? { versionId: head.VersionId } : {}) };
  };
  return {
    ...base,
    api,
    async call(path, init = {}) {
      const res = await fetch(`${api.url}${path}`, init);
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async processed(keys, timeoutMs = 60_000) {
      const refs = await Promise.all(keys.map(refOf));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const manifests = await Promise.all(refs.map((r) => readManifest(platform, r)));
        if (manifests.every(Boolean)) return manifests as RunManifest[];
        if (Date.now() > deadline) throw new Error(`not processed within ${timeoutMs / 1000} s: ${keys.filter((_k, i) => !manifests[i]).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await api.close();
      await base.close();
    },
  };
}

/** The problem+json body the API answers an error with. */
export const problem = (status: number, type: string, detail: string, instance: string, extra: Record<string, unknown> = {}) => ({
  type: `urn:medallion:problem:${type}`,
  title: { 400: 'Bad request', 404: 'Not found', 405: 'Method not allowed', 413: 'Payload too large', 415: 'Unsupported media type', 504: 'Gateway timeout' }[status],
  status,
  detail,
  instance,
  ...extra,
});

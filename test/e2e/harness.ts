import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { RunManifest } from '../../lambdas/shared/manifest';
import { processUntilDone } from '../../local/ingest';
import { startLocalPlatform, type LocalPlatform } from '../../local/platform';
import { loadTransformHandler } from '../../local/run';
import type { SqsHandler } from '../../local/sqs-pump';

export interface E2E {
  readonly platform: LocalPlatform;
  readonly handler: SqsHandler;
  /** Puts objects into bronze and waits for their manifests. */
  ingest(files: Record<string, string | Buffer>): Promise<RunManifest[]>;
  /** Keys under a prefix of a bucket. */
  keys(bucket: string, prefix: string): Promise<string[]>;
  text(bucket: string, key: string): Promise<string>;
  /** Rows of a silver Parquet object, read with DuckDB. */
  parquet(key: string, sql?: string): Promise<Record<string, unknown>[]>;
  /** Rows of a Parquet object of any bucket, read with DuckDB (view `t`). */
  parquetFrom(bucket: string, key: string, sql?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** The end-to-end harness: the AWS emulator (moto by default, or E2E_ENDPOINT), the real handler, real S3 events. */
export async function startE2E(): Promise<E2E> {
  const platform = await startLocalPlatform({ endpoint: process.env.E2E_ENDPOINT });
  const handler = await loadTransformHandler(platform);
  const scratch = mkdtempSync(join(tmpdir(), 'e2e-'));
  const db = await DuckDBInstance.create(':memory:');
  const text = async (bucket: string, key: string) =>
    (await platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');
  const parquetFrom = async (bucket: string, key: string, sql = 'SELECT * FROM t') => {
    const body = await platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const path = join(scratch, `${bucket}_${key.replace(/\//g, '_')}`);
    writeFileSync(path, await body.Body!.transformToByteArray());
    const connection = await db.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM read_parquet('${path}')`);
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    connection.closeSync();
    return rows as Record<string, unknown>[];
  };
  return {
    platform,
    handler,
    async ingest(files) {
      const refs = [];
      for (const [key, body] of Object.entries(files)) {
        const out = await platform.s3.send(new PutObjectCommand({ Bucket: platform.buckets.bronze, Key: key, Body: Buffer.from(body), ContentLength: Buffer.byteLength(body) }));
        refs.push({ bucket: platform.buckets.bronze, key, eTag: out.ETag!.replace(/"/g, '') });
      }
      const manifests = await processUntilDone(platform, handler, refs, { timeoutMs: 60_000 });
      // The data promise, checked for every file every test ingests: every row accounted for once.
      for (const m of manifests) {
        if (m.rows_in !== m.rows_valid + m.rows_quarantined) throw new Error(`${m.key}: rows_in ${m.rows_in} ≠ rows_valid ${m.rows_valid} + rows_quarantined ${m.rows_quarantined}`);
      }
      return manifests;
    },
    async keys(bucket, prefix) {
      const out = await platform.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    },
    text,
    parquet: (key, sql) => parquetFrom(platform.buckets.silver, key, sql),
    parquetFrom,
    close: () => platform.close(),
  };
}

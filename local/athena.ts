import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts } from '../lambdas/shared/contracts';
import { trinoCompatSql } from '../lambdas/shared/gold';
import { OPERATIONS_PREFIX } from '../lambdas/shared/manifest';
import { glueDatabaseName } from '../lib/naming';
import { LocalAthena } from './athena-server';
import { registerSources } from './gold';
import type { LocalPlatform } from './platform';

/**
 * Copies the objects of a bucket prefix that are not in `target` yet (silver objects are never rewritten
 * under a new content except by an idempotent re-run, so a copy by name is enough for a local mirror).
 */
export async function mirror(platform: LocalPlatform, bucket: string, prefix: string, target: string, skip: (key: string) => boolean = () => false, refresh = false): Promise<number> {
  let token: string | undefined;
  let copied = 0;
  do {
    const page = await platform.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key || skip(object.Key)) continue;
      const path = join(target, object.Key);
      if (!refresh && existsSync(path)) continue;
      const body = await platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await body.Body!.transformToByteArray());
      copied++;
    }
    token = page.NextContinuationToken;
  } while (token);
  return copied;
}

/**
 * The local Athena of a local platform: tables of the silver and operations databases (same names as the
 * Glue catalog) over a mirror of the emulator's silver bucket, refreshed before every query, and the Gold
 * views created from sql/gold by whoever deploys them (as in AWS).
 */
export async function startPlatformAthena(platform: LocalPlatform): Promise<LocalAthena> {
  const cache = mkdtempSync(join(tmpdir(), 'medallion-athena-'));
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const statement of trinoCompatSql()) await connection.run(statement);
  const contracts = loadContracts();
  const databases = { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') };
  const athena = new LocalAthena({
    connection,
    outputLocation: `s3://${platform.buckets['athena-results']}/results`,
    prepare: async () => {
      await mirror(platform, platform.buckets.silver, '', join(cache, 'silver'), (key) => key.startsWith(OPERATIONS_PREFIX));
      await mirror(platform, platform.buckets.silver, `${OPERATIONS_PREFIX}manifests/`, cache, () => false, true);
      await registerSources(connection, { contracts, silverDir: join(cache, 'silver'), manifestsDir: join(cache, OPERATIONS_PREFIX, 'manifests'), databases });
    },
  });
  await athena.start();
  return athena;
}

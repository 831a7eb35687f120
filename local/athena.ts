import { createReadStream, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadContracts } from '../lambdas/shared/contracts';
import { trinoCompatSql } from '../lambdas/shared/gold';
import { OPERATIONS_PREFIX } from '../lambdas/shared/manifest';
import { glueDatabaseName } from '../lib/naming';
import { LocalAthena } from './athena-server';
import { registerSources } from './gold';
import type { LocalPlatform } from './platform';
import { mirror } from './s3-mirror';

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
    unload: async (file, url) => {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(url)!;
      await platform.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }));
    },
    prepare: async () => {
      await mirror(platform, platform.buckets.silver, '', join(cache, 'silver'), (key) => key.startsWith(OPERATIONS_PREFIX));
      // Manifests, runs and quality results; the content markers of duplicate detection are not tables.
      await mirror(platform, platform.buckets.silver, OPERATIONS_PREFIX, cache, (key) => key.startsWith(`${OPERATIONS_PREFIX}content/`), true);
      const operationsDir = join(cache, OPERATIONS_PREFIX);
      await registerSources(connection, { contracts, silverDir: join(cache, 'silver'), manifestsDir: join(operationsDir, 'manifests'), operationsDir, databases });
    },
  });
  await athena.start();
  return athena;
}

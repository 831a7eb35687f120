import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlreadyExistsException, CreateDatabaseCommand, CreateTableCommand, GlueClient, UpdateTableCommand } from '@aws-sdk/client-glue';
import { DuckDBInstance } from '@duckdb/node-api';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadContracts, PARTITION_COLUMN } from '../lambdas/shared/contracts';
import { trinoCompatSql } from '../lambdas/shared/gold';
import { OPERATIONS_PREFIX } from '../lambdas/shared/manifest';
import { manifestsTableInput, qualityResultsTableInput, runsTableInput, silverTableInput, type TableInput } from '../lib/catalog/table-inputs';
import { glueDatabaseName } from '../lib/naming';
import { ComparingAthenaEngine, DuckDBAthenaEngine, TrinoAthenaEngine, type AthenaEngine } from './athena-engines';
import { LocalAthena } from './athena-server';
import { registerSources } from './gold';
import { LOCAL_REGION, type LocalPlatform } from './platform';
import { mirror } from './s3-mirror';
import { startGlueProxy } from './trino/glue-proxy';
import { connectTrino, startTrino, type TrinoServer } from './trino/server';

/** What runs the local Athena's statements. */
export const ATHENA_ENGINES = ['duckdb', 'trino', 'compare'] as const;
export type AthenaEngineName = (typeof ATHENA_ENGINES)[number];

export interface PlatformAthenaOptions {
  /**
   * `duckdb`: embedded, starts at once. `trino`: a local Trino (Athena engine v3's engine) over the
   * emulator's Glue and S3. `compare`: both, failing a statement on which they disagree.
   * @default MEDALLION_ATHENA_ENGINE, else duckdb
   */
  readonly engine?: AthenaEngineName;
  /** Progress lines (the Trino download on first use). */
  readonly log?: (line: string) => void;
}

/** The local Athena of a platform, with the engine it runs on. */
export interface PlatformAthena extends LocalAthena {
  readonly engine: AthenaEngine;
}

export function athenaEngineName(value: string | undefined): AthenaEngineName {
  const name = value ?? 'duckdb';
  if (!(ATHENA_ENGINES as readonly string[]).includes(name)) throw new Error(`unknown Athena engine '${name}'; use one of ${ATHENA_ENGINES.join(', ')}`);
  return name as AthenaEngineName;
}

const glueClient = (platform: LocalPlatform): GlueClient =>
  new GlueClient({ endpoint: platform.emulator.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

const ignoreExisting = (promise: Promise<unknown>): Promise<unknown> =>
  promise.catch((e: unknown) => {
    if (!(e instanceof AlreadyExistsException)) throw e;
  });

/** The stage's silver and operations databases and tables in the emulator's Glue, from the very definitions the stacks deploy. */
async function createCatalog(platform: LocalPlatform, glue: GlueClient): Promise<Map<string, TableInput>> {
  const { config, buckets } = platform;
  const silver = new Map(loadContracts().map((c) => [c.name, silverTableInput(c, buckets.silver, config.catalog)]));
  const ops = [manifestsTableInput(buckets.silver), qualityResultsTableInput(buckets.silver), runsTableInput(buckets.silver)];
  for (const layer of ['silver', 'gold', 'ops'] as const) await ignoreExisting(glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: glueDatabaseName(config, layer) } })));
  for (const input of silver.values()) await ignoreExisting(glue.send(new CreateTableCommand({ DatabaseName: glueDatabaseName(config, 'silver'), TableInput: input as never })));
  for (const input of ops) await ignoreExisting(glue.send(new CreateTableCommand({ DatabaseName: glueDatabaseName(config, 'ops'), TableInput: input as never })));
  return silver;
}

/**
 * Keeps the silver tables' partition projection to the days that hold files. Deployed, the projection is
 * a date range from `catalog.projectionStartDate` to the future horizon, and Athena lists each day's
 * prefix; against an emulator Trino needs about 11 ms per prefix, so two minutes for the 9,800 days since
 * 2000. Locally the same projection is declared as an enum of the days present (same partitions, same
 * rows), updated when silver gains a day.
 */
function narrowProjection(platform: LocalPlatform, glue: GlueClient, tables: ReadonlyMap<string, TableInput>): () => Promise<void> {
  const declared = new Map<string, string>();
  return async () => {
    const days = new Map<string, Set<string>>([...tables.keys()].map((t) => [t, new Set<string>()]));
    let token: string | undefined;
    do {
      const page = await platform.s3.send(new ListObjectsV2Command({ Bucket: platform.buckets.silver, ContinuationToken: token }));
      for (const { Key } of page.Contents ?? []) {
        const m = Key ? new RegExp(`^([^/]+)/${PARTITION_COLUMN}=(\\d{4}-\\d{2}-\\d{2})/`).exec(Key) : null;
        if (m) days.get(m[1])?.add(m[2]);
      }
      token = page.NextContinuationToken;
    } while (token);
    for (const [table, input] of tables) {
      // An enum needs a value: a table without files projects its first day, an empty prefix.
      const values = [...days.get(table)!].sort().join(',') || platform.config.catalog.projectionStartDate;
      if (declared.get(table) === values) continue;
      const parameters = Object.fromEntries(Object.entries(input.Parameters).filter(([k]) => !k.startsWith(`projection.${PARTITION_COLUMN}.`)));
      const projection = { [`projection.${PARTITION_COLUMN}.type`]: 'enum', [`projection.${PARTITION_COLUMN}.values`]: values };
      await glue.send(new UpdateTableCommand({ DatabaseName: glueDatabaseName(platform.config, 'silver'), TableInput: { ...input, Parameters: { ...parameters, ...projection } } as never }));
      declared.set(table, values);
    }
  };
}

/** DuckDB over a mirror of the emulator's silver bucket, refreshed before every statement. */
async function duckdbEngine(platform: LocalPlatform, cleanup: (() => void)[]): Promise<DuckDBAthenaEngine> {
  const cache = mkdtempSync(join(tmpdir(), 'medallion-athena-'));
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  // The mirror and the connection go with the local Athena.
  cleanup.push(() => {
    connection.closeSync();
    rmSync(cache, { recursive: true, force: true });
  });
  for (const statement of trinoCompatSql()) await connection.run(statement);
  const contracts = loadContracts();
  const databases = { silver: glueDatabaseName(platform.config, 'silver'), gold: glueDatabaseName(platform.config, 'gold'), ops: glueDatabaseName(platform.config, 'ops') };
  return new DuckDBAthenaEngine({
    connection,
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
}

/**
 * The local Athena of a local platform: the silver and operations tables under the same database names as
 * the Glue catalog, and the Gold views created from sql/gold by whoever deploys them (as in AWS). On
 * DuckDB it reads a mirror of the emulator's silver bucket; on Trino the emulator's Glue tables (created
 * here from the stacks' definitions, partition projection included) and S3. A Trino server shared by a
 * test run is used when `MEDALLION_TRINO_URL` names one; otherwise one is started and stopped with it.
 */
export async function startPlatformAthena(platform: LocalPlatform, options: PlatformAthenaOptions = {}): Promise<PlatformAthena> {
  const name = options.engine ?? athenaEngineName(process.env.MEDALLION_ATHENA_ENGINE);
  let trino: TrinoServer | undefined;
  let glue: GlueClient | undefined;
  let proxy: { endpoint: string; close: () => Promise<void> } | undefined;
  let engine: AthenaEngine;
  const cleanup: (() => void)[] = [];
  if (name === 'duckdb') {
    engine = await duckdbEngine(platform, cleanup);
  } else {
    trino = process.env.MEDALLION_TRINO_URL ? connectTrino(process.env.MEDALLION_TRINO_URL) : await startTrino({ log: options.log });
    glue = glueClient(platform);
    const tables = await createCatalog(platform, glue);
    const endpoint = platform.emulator.endpoint;
    proxy = await startGlueProxy(endpoint);
    const catalog = await trino.awsCatalog({ glueEndpoint: proxy.endpoint, s3Endpoint: endpoint, region: LOCAL_REGION });
    const reference = new TrinoAthenaEngine(trino, catalog, narrowProjection(platform, glue, tables));
    engine = name === 'trino' ? reference : new ComparingAthenaEngine(await duckdbEngine(platform, cleanup), reference);
  }
  const athena = new LocalAthena({ engine, outputLocation: `s3://${platform.buckets['athena-results']}/results` });
  await athena.start();
  const close = athena.close.bind(athena);
  return Object.assign(athena, {
    engine,
    close: async () => {
      await close();
      cleanup.forEach((c) => c());
      glue?.destroy();
      await proxy?.close();
      await trino?.close();
    },
  });
}

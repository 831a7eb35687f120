import { AthenaClient } from '@aws-sdk/client-athena';
import { CreateDatabaseCommand, CreateTableCommand, GetPartitionCommand, GlueClient } from '@aws-sdk/client-glue';
import { buildGoldDataset } from '../../lambdas/gold-build/build';
import { loadGoldContracts } from '../../lambdas/shared/contracts';
import { publishedTableInput } from '../../lambdas/shared/gold';
import type { LocalAthena } from '../../local/athena-server';
import { startPlatformAthena } from '../../local/athena';
import { ndjson, printRecord } from '../fixtures/records';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
let athena: LocalAthena;
let glue: GlueClient;
let client: AthenaClient;
const databases = { silver: 'medallion_dev_silver', gold: 'medallion_dev_gold', ops: 'medallion_dev_ops' };

beforeAll(async () => {
  e2e = await startE2E();
  athena = await startPlatformAthena(e2e.platform);
  const aws = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  glue = new GlueClient({ ...aws, endpoint: e2e.platform.emulator.endpoint });
  client = new AthenaClient({ ...aws, endpoint: athena.endpoint });
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: databases.gold } }));
  // As the gold stack does: one published table per Gold contract.
  for (const contract of loadGoldContracts()) {
    await glue.send(new CreateTableCommand({ DatabaseName: databases.gold, TableInput: publishedTableInput(contract, e2e.platform.buckets.gold) }));
  }
  await e2e.ingest({
    'prints/2020-11-28.json': ndjson(printRecord('2020-11-28', 1), printRecord('2020-11-21', 1)),
    'taps/2020-11-28.json': ndjson(printRecord('2020-11-28', 1)),
    'pays/2020-11-27.csv': 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n',
  });
});
afterAll(async () => {
  client?.destroy();
  glue?.destroy();
  await athena?.close();
  await e2e?.close();
});

describe('materialized Gold build with atomic publish (local Athena + Glue and S3 of the emulator)', () => {
  it('unloads to a fresh build prefix and switches the as_of partition to it; a re-run publishes an identical copy', async () => {
    const deps = { athena: client, glue, settings: { goldBucket: e2e.platform.buckets.gold, databases, workGroup: 'medallion-dev-analytics', pollMs: 10 } };
    const gold = e2e.platform.buckets.gold;
    // What other tests built for the date before (nothing when this test runs first or alone).
    const partitionBefore = (await glue.send(new GetPartitionCommand({ DatabaseName: databases.gold, TableName: 'value_prop_features_published', PartitionValues: ['2020-11-28'] })).catch(() => undefined))?.Partition?.StorageDescriptor?.Location;
    const keysBefore = await e2e.keys(gold, 'value_prop_features/');
    const first = await buildGoldDataset({ dataset: 'value_prop_features', asOf: '2020-11-28' }, deps);
    expect(first.location).toMatch(new RegExp(`^s3://${e2e.platform.buckets.gold}/value_prop_features/as_of=2020-11-28/build=\\d{8}T\\d{9}Z-[0-9a-f]{6}/$`));
    expect(first.previousLocation).toBe(partitionBefore);
    const second = await buildGoldDataset({ dataset: 'value_prop_features', asOf: '2020-11-28' }, deps);
    expect(second.location).not.toBe(first.location);
    expect(second.previousLocation).toBe(first.location);
    const { Partition } = await glue.send(new GetPartitionCommand({ DatabaseName: databases.gold, TableName: 'value_prop_features_published', PartitionValues: ['2020-11-28'] }));
    expect(Partition!.StorageDescriptor!.Location).toBe(second.location);
    const key = (location: string) => `${location.replace(`s3://${e2e.platform.buckets.gold}/`, '')}part-00000.parquet`;
    expect(await e2e.keys(gold, 'value_prop_features/')).toEqual([...keysBefore, key(first.location), key(second.location)].sort());
    const rows = await e2e.parquetFrom(gold, key(second.location), "SELECT CAST(day AS VARCHAR) AS day, user_id, clicked, prints_3w, taps_3w, pays_3w, CAST(amount_3w AS VARCHAR) AS amount_3w FROM t ORDER BY ALL");
    // The print of 11-21 is outside the week of 2020-11-28 but inside the history of the print of 11-28.
    expect(rows).toEqual([{ day: '2020-11-28', user_id: '1', clicked: true, prints_3w: '1', taps_3w: '0', pays_3w: '1', amount_3w: '10.50' }]);
    expect(await e2e.parquetFrom(gold, key(first.location), 'SELECT count(*)::INTEGER AS n FROM t')).toEqual([{ n: 1 }]);
  });

  it('fails with Athena\'s reason when the build query fails', async () => {
    const deps = { athena: client, glue, settings: { goldBucket: e2e.platform.buckets.gold, databases: { ...databases, silver: 'missing_db' }, workGroup: 'wg', pollMs: 10 } };
    await expect(buildGoldDataset({ dataset: 'value_prop_features', asOf: '2020-11-28' }, deps)).rejects.toThrow(/^Athena query \S+ failed: Catalog Error: Table with name "missing_db.prints" does not exist/);
  });

  it('the Lambda handler builds the requested datasets with the settings of its environment', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
      GOLD_BUCKET: e2e.platform.buckets.gold,
      SILVER_DATABASE: databases.silver,
      GOLD_DATABASE: databases.gold,
      OPS_DATABASE: databases.ops,
      WORKGROUP: 'medallion-dev-analytics',
    });
    const { handler } = await import('../../lambdas/gold-build/handler');
    await expect(handler({ datasets: ['nope'] })).rejects.toThrow('unknown Gold dataset(s): nope; known: user_session_analysis, daily_kpis, daily_revenue, data_quality_history, value_prop_features');
    const out = await handler({ datasets: ['value_prop_features'] });
    expect(out.builds.map((b) => [b.dataset, b.asOf])).toEqual([['value_prop_features', '2020-11-28']]);
    const backfill = await handler({ datasets: ['value_prop_features', 'daily_revenue'], from: '2020-11-27', to: '2020-11-28' });
    expect(backfill.builds.map((b) => `${b.dataset}@${b.asOf}`)).toEqual([
      'daily_revenue@2020-11-27', 'value_prop_features@2020-11-27', 'daily_revenue@2020-11-28', 'value_prop_features@2020-11-28',
    ]);
  });
});

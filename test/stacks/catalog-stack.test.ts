import { LINEAGE_COLUMNS, loadContracts } from '../../lambdas/shared/contracts';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev', { bundle: false });
const t = dev.catalogTemplate;
const contracts = loadContracts();
const tables = Object.values(resourcesOf(t, 'AWS::Glue::Table')).map((r) => r.Properties as Record<string, any>);
const databases = Object.entries(resourcesOf(t, 'AWS::Glue::Database'));
const dbRef = (layer: string) => ({ Ref: databases.find(([, d]) => (d.Properties as any).DatabaseInput.Name === `medallion_dev_${layer}`)![0] });
const table = (layer: string, name: string) => {
  const found = tables.find((x) => JSON.stringify(x.DatabaseName) === JSON.stringify(dbRef(layer)) && x.TableInput.Name === name);
  if (!found) throw new Error(`no ${layer}.${name} table`);
  return found.TableInput;
};
const bucketImport = (purpose: string) => expect.stringContaining(purpose);

describe('catalog stack', () => {
  it('has one Glue database per layer plus operations', () => {
    expect(databases.map(([, d]) => (d.Properties as any).DatabaseInput.Name).sort()).toEqual([
      'medallion_dev_bronze', 'medallion_dev_gold', 'medallion_dev_ops', 'medallion_dev_silver',
    ]);
  });

  it('has exactly a bronze and a silver table per contract, and no crawler', () => {
    expect(tables).toHaveLength(contracts.length * 2 + 1);
    expect(Object.keys(resourcesOf(t, 'AWS::Glue::Crawler'))).toHaveLength(0);
  });

  it.each(contracts.map((c) => [c.name, c] as const))('silver %s: columns and types match the contract, plus lineage', (_name, contract) => {
    const silver = table('silver', contract.name);
    expect(silver.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual([
      ...contract.properties.map((p) => [p.name, p.type.glueType]),
      ...LINEAGE_COLUMNS.map((c) => [c.name, c.glueType]),
    ]);
    expect(silver.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: `UTC date of ${contract.eventTimeColumn}, YYYY-MM-DD` }]);
    expect(silver.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(silver.Parameters).toMatchObject({
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2000-01-01,NOW+1DAYS',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    const location = JSON.stringify(silver.StorageDescriptor.Location);
    expect(location).toEqual(bucketImport('Silver'));
    expect(location).toContain(`/${contract.name}/`);
    expect(JSON.stringify(silver.Parameters['storage.location.template'])).toContain(`/${contract.name}/dt=\${dt}/`);
  });

  it('bronze prints and taps: raw JSON shape with event_data as a struct', () => {
    for (const name of ['prints', 'taps']) {
      const bronze = table('bronze', name);
      expect(bronze.StorageDescriptor.Columns).toEqual([
        { Name: 'day', Type: 'string' },
        { Name: 'user_id', Type: 'string' },
        { Name: 'event_data', Type: 'struct<value_prop:string,position:string>' },
      ]);
      expect(bronze.StorageDescriptor.SerdeInfo).toEqual({
        SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        Parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
      });
      expect(JSON.stringify(bronze.StorageDescriptor.Location)).toContain(`/${name}/`);
    }
  });

  it.each(contracts.filter((c) => c.format === 'csv').map((c) => [c.name, c] as const))('bronze %s: CSV columns in file order, header skipped', (_name, contract) => {
    const bronze = table('bronze', contract.name);
    expect(bronze.StorageDescriptor.Columns).toEqual(contract.properties.map((p) => ({ Name: p.name, Type: 'string' })));
    expect(bronze.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      Parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '"' },
    });
    expect(bronze.Parameters).toEqual({ classification: 'csv', EXTERNAL: 'TRUE', 'skip.header.line.count': '1' });
  });

  it('bronze events: every top-level field, properties kept whole', () => {
    expect(table('bronze', 'events').StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual([
      'event_id', 'session_id', 'user_id', 'event_type', 'timestamp', 'device', 'properties',
    ]);
  });

  it('has the run-manifest table in the operations database, with every manifest field', () => {
    const manifests = table('ops', 'manifests');
    expect(manifests.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => `${c.Name}:${c.Type}`)).toEqual([
      'dataset:string', 'key:string', 'version_id:string', 'etag:string', 'file_id:string', 'status:string', 'rows_in:bigint', 'rows_valid:bigint',
      'rows_quarantined:bigint', 'rows_superseded:bigint', 'reasons:map<string,bigint>', 'partitions:array<struct<dt:string,rows:bigint,key:string>>',
      'quarantine:array<struct<dt:string,rows:bigint,key:string>>', 'content_sha256:string', 'duplicate_of:string', 'supersedes:string', 'superseded_by:string', 'bytes:bigint', 'processed_at:string',
      'duration_ms:bigint', 'error:string',
    ]);
    expect(JSON.stringify(manifests.StorageDescriptor.Location)).toContain('/_operations/manifests/');
  });

  it('has an enforced Athena engine v3 workgroup with KMS-encrypted results, a scan cutoff and metrics', () => {
    const [wg] = Object.values(resourcesOf(t, 'AWS::Athena::WorkGroup'));
    expect(wg.Properties).toMatchObject({
      Name: 'medallion-dev-analytics',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } },
      },
    });
    const results = (wg.Properties as any).WorkGroupConfiguration.ResultConfiguration;
    expect(JSON.stringify(results.OutputLocation)).toContain('AthenaResults');
    expect(JSON.stringify(results.EncryptionConfiguration.KmsKey)).toContain('DataKey');
  });

  it('prod uses its own cutoff', () => {
    const prod = synthesizePlatform('prod', { bundle: false });
    const [wg] = Object.values(resourcesOf(prod.catalogTemplate, 'AWS::Athena::WorkGroup'));
    expect((wg.Properties as any).WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBe(100 * 1024 ** 3);
  });
});

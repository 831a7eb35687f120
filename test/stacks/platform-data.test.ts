import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

/**
 * Contracts and Gold SQL from folders of the consumer's own (`contractsDir`, `sqlDir`): synth reads them,
 * and every function that reads them at run time is bundled with exactly those files — a `.yml` contract
 * included (the transform used to be bundled with the repository's `*.yaml` only, whatever synth read).
 */
const root = mkdtempSync(join(tmpdir(), 'platform-data-'));
const contractsDir = join(root, 'my-contracts');
const sqlDir = join(root, 'my-sql');
cpSync(join(__dirname, '..', '..', 'contracts'), contractsDir, { recursive: true });
renameSync(join(contractsDir, 'events.yaml'), join(contractsDir, 'events.yml'));
cpSync(join(__dirname, '..', '..', 'sql'), sqlDir, { recursive: true });
writeFileSync(join(sqlDir, 'gold', 'events_per_type.sql'), 'SELECT event_type, CAST(count(*) AS BIGINT) AS events\nFROM ${silver}.events\nGROUP BY event_type\n');

const platform = synthesizePlatform('dev', { contractsDir, sqlDir, nag: false });
const assembly = (platform.transform.node.root as unknown as { synth: () => { directory: string } }).synth().directory;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The files of a folder of the asset of the function whose logical id starts with `prefix`. */
function assetFiles(template: Template, prefix: string, folder: string): string[] {
  const [, fn] = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))!;
  const key = ((fn.Properties as { Code: { S3Key: string } }).Code.S3Key).replace(/\.zip$/, '');
  return readdirSync(join(assembly, `asset.${key}`, folder)).sort();
}

const sourceContracts = ['events.yml', 'pays.yaml', 'prints.yaml', 'taps.yaml', 'transactions.yaml', 'users.yaml'];
const goldSql = ['daily_kpis.sql', 'daily_revenue.sql', 'data_quality_history.sql', 'events_per_type.sql', 'user_session_analysis.sql', 'value_prop_features.sql'];

describe('contracts and Gold SQL from the consumer’s folders', () => {
  it('the transform, ingest, query, plan and replay functions carry exactly the contracts synth read, the .yml one included', () => {
    expect(assetFiles(platform.transformTemplate, 'TransformFunction', 'contracts')).toEqual(sourceContracts);
    expect(assetFiles(platform.apiTemplate, 'IngestFunction', 'contracts')).toEqual(sourceContracts);
    expect(assetFiles(platform.apiTemplate, 'QueryFunction', 'contracts')).toEqual([...sourceContracts, 'gold'].sort());
    expect(assetFiles(platform.apiTemplate, 'QueryFunction', 'contracts/gold')).toEqual(readdirSync(join(contractsDir, 'gold')).sort());
    expect(assetFiles(platform.orchestrationTemplate, 'GoldBuildPlan', 'contracts')).toEqual(sourceContracts);
    expect(assetFiles(platform.orchestrationTemplate, 'ReplayFunction', 'contracts')).toEqual(sourceContracts);
  });

  it('the Gold views and the build and plan functions use the Gold SQL synth read', () => {
    const views = Object.values(resourcesOf(platform.goldTemplate, 'Custom::GoldView')).map((r) => r.Properties.ViewName as string);
    expect(views.sort()).toEqual(goldSql.map((f) => f.replace(/\.sql$/, '')));
    expect(assetFiles(platform.goldTemplate, 'GoldBuildFunction', 'sql/gold')).toEqual(goldSql);
    expect(assetFiles(platform.orchestrationTemplate, 'GoldBuildPlan', 'sql/gold')).toEqual(goldSql);
  });

  it('the catalog has the tables of the .yml contract', () => {
    const tables = Object.values(resourcesOf(platform.catalogTemplate, 'AWS::Glue::Table')).map((r) => (r.Properties.TableInput as { Name: string }).Name);
    expect(tables.filter((n) => n === 'events')).toHaveLength(2);
  });
});

import { AthenaClient, TooManyRequestsException } from '@aws-sdk/client-athena';
import { GetPartitionCommand, GetPartitionsCommand } from '@aws-sdk/client-glue';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import type { RunManifest } from '../../lambdas/shared/manifest';
import { handler as replay } from '../../lambdas/orchestration/replay';
import { pumpOnce } from '../../local/sqs-pump';
import { LOCAL_REGION } from '../../local/platform';
import { startLocalOrchestration, runGoldBuild, type LocalOrchestration } from '../../local/orchestration';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
let o: LocalOrchestration;
let alerts: string;
const lines = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const print = (day: string, user: number, vp: string) => ({ day, event_data: { position: 0, value_prop: vp }, user_id: user });
const GOLD = 'medallion_dev_gold';
const VPF = 'value_prop_features_published';

async function partitionLocation(asOf: string): Promise<string | undefined> {
  const out = await o.glue.send(new GetPartitionCommand({ DatabaseName: GOLD, TableName: VPF, PartitionValues: [asOf] })).catch(() => undefined);
  return out?.Partition?.StorageDescriptor?.Location;
}
const json = async (key: string) => JSON.parse(await e2e.text(e2e.platform.buckets.silver, key)) as Record<string, unknown>;

beforeAll(async () => {
  e2e = await startE2E();
  o = await startLocalOrchestration(e2e.platform);
  // An SQS queue subscribed to the alert topic, to read what the state machine published.
  alerts = (await e2e.platform.sqs.send(new CreateQueueCommand({ QueueName: 'alerts' }))).QueueUrl!;
  const arn = (await e2e.platform.sqs.send(new GetQueueAttributesCommand({ QueueUrl: alerts, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await o.sns.send(new SubscribeCommand({ TopicArn: o.topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }));
  await e2e.ingest({
    'prints/2020-11-27.json': lines(print('2020-11-27', 1, 'point'), print('2020-11-27', 2, 'point')),
    'prints/2020-11-28.json': lines(print('2020-11-28', 1, 'point'), print('2020-11-21', 1, 'point')),
    'taps/2020-11-28.json': lines(print('2020-11-28', 1, 'point')),
    'pays/2020-11-27.csv': 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n',
  });
});
afterAll(async () => {
  await o?.close();
  await e2e?.close();
});

describe('gold-build state machine, executed locally from the synthesized definition', () => {
  let published: string | undefined;

  it('passes the quality gate, builds Gold for the as-of date and records the run', async () => {
    const { execution, gate } = await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { execution: 'pass-1' });
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    // Each state once (checks once per Map iteration), in order; nothing failed.
    const top = execution.states.filter((s) => s.index === undefined).map((s) => `${s.name}:${s.status}`);
    expect(top).toEqual(['PlanChecks:SUCCEEDED', 'RunChecks:SUCCEEDED', 'EvaluateChecks:SUCCEEDED', 'GatePassed:SUCCEEDED', 'BuildGold:SUCCEEDED', 'RecordRun:SUCCEEDED', 'Published:SUCCEEDED']);
    expect(execution.states.filter((s) => s.name === 'StartCheckQuery').map((s) => s.status)).toEqual(Array(12).fill('SUCCEEDED'));
    // The sources of value_prop_features only; events and others are not built, so not checked.
    expect(gate!.results.map((r) => [r.dataset, r.check, r.status, r.value])).toEqual([
      ['pays', 'pays freshness', 'pass', 48],
      ['pays', 'pays volume', 'pass', 1],
      ['pays', 'pays rowCount', 'pass', 1],
      ['pays', 'pays quarantine ratio', 'pass', 0],
      ['prints', 'prints freshness', 'pass', 24],
      ['prints', 'prints volume', 'pass', 0.6666666666666666],
      ['prints', 'prints rowCount', 'pass', 1],
      ['prints', 'prints quarantine ratio', 'pass', 0],
      ['taps', 'taps freshness', 'pass', 24],
      ['taps', 'taps volume', 'pass', 1],
      ['taps', 'taps rowCount', 'pass', 1],
      ['taps', 'taps quarantine ratio', 'pass', 0],
    ]);
    expect(gate!.passed).toBe(true);
    published = await partitionLocation('2020-11-28');
    expect(published).toMatch(/^s3:\/\/medallion-dev-gold-000000000000-us-east-1\/value_prop_features\/as_of=2020-11-28\/build=/);
    const results = (await e2e.text(e2e.platform.buckets.silver, '_operations/quality/pass-1.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results).toHaveLength(12);
    expect(results[2]).toMatchObject({ execution: 'pass-1', as_of: '2020-11-28', id: 'pays.rowCount', dataset: 'pays', check: 'pays rowCount', kind: 'rowCount', severity: 'warning', status: 'pass', value: 1, unit: 'rows', threshold: 'mustBeGreaterThan 0' });
    expect(await json('_operations/runs/pass-1.json')).toMatchObject({
      execution: 'pass-1', status: 'SUCCEEDED', request: '{"asOf":"2020-11-28","datasets":["value_prop_features"]}', checks: 12, checks_failed: 0, checks_warned: 0,
      builds: [{ dataset: 'value_prop_features', as_of: '2020-11-28', location: published }], error: null,
    });
  });
});

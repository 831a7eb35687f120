import { AthenaClient, TooManyRequestsException } from '@aws-sdk/client-athena';
import { GetPartitionCommand, GetPartitionsCommand } from '@aws-sdk/client-glue';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import type { RunManifest } from '../../lambdas/shared/manifest';
import { handler as replay } from '../../lambdas/orchestration/replay';
import { pumpOnce } from '../../local/sqs-pump';
import { LOCAL_REGION } from '../../local/platform';
import { startLocalOrchestration, runGoldBuild, type LocalOrchestration } from '../../local/orchestration';
import { ndjson, printRecord } from '../fixtures/records';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
let o: LocalOrchestration;
let alerts: string;
const GOLD = 'medallion_dev_gold';
const VPF = 'value_prop_features_published';
/**
 * The source files every test's quality gate judges, ingested once. A test that adds source data uses days
 * no gate of another test reads (taps before 2020-11-28), or replaces what it added before it ends.
 */
const SOURCES = {
  'prints/2020-11-27.json': ndjson(printRecord('2020-11-27', 1), printRecord('2020-11-27', 2)),
  'prints/2020-11-28.json': ndjson(printRecord('2020-11-28', 1), printRecord('2020-11-21', 1)),
  'taps/2020-11-28.json': ndjson(printRecord('2020-11-28', 1)),
  'pays/2020-11-27.csv': 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n',
};

/** The location of a published Gold partition (value_prop_features unless told), undefined when there is none. */
async function partitionLocation(asOf: string, dataset = 'value_prop_features'): Promise<string | undefined> {
  const out = await o.glue.send(new GetPartitionCommand({ DatabaseName: GOLD, TableName: `${dataset}_published`, PartitionValues: [asOf] })).catch(() => undefined);
  return out?.Partition?.StorageDescriptor?.Location;
}
const json = async (key: string) => JSON.parse(await e2e.text(e2e.platform.buckets.silver, key)) as Record<string, unknown>;
/** The alerts published since the last call (received, then deleted, so that each test sees only its own). */
async function takeAlerts(waitSeconds = 1): Promise<(string | undefined)[]> {
  const { Messages = [] } = await e2e.platform.sqs.send(new ReceiveMessageCommand({ QueueUrl: alerts, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
  if (Messages.length) {
    await e2e.platform.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: alerts, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return Messages.map((m) => m.Body);
}

beforeAll(async () => {
  e2e = await startE2E();
  o = await startLocalOrchestration(e2e.platform);
  // An SQS queue subscribed to the alert topic, to read what the state machine published.
  alerts = (await e2e.platform.sqs.send(new CreateQueueCommand({ QueueName: 'alerts' }))).QueueUrl!;
  const arn = (await e2e.platform.sqs.send(new GetQueueAttributesCommand({ QueueUrl: alerts, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await o.sns.send(new SubscribeCommand({ TopicArn: o.topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }));
  await e2e.ingest(SOURCES);
});
// Alerts another test left (one that failed before reading them) are not this test's.
beforeEach(() => takeAlerts(0));
afterAll(async () => {
  await o?.close();
  await e2e?.close();
});

describe('gold-build state machine, executed locally from the synthesized definition', () => {
  it('passes the quality gate, builds Gold for the as-of date and records the run', async () => {
    const { execution, gate } = await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { execution: 'pass-1' });
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    // Each state once (checks once per Map iteration), in order; nothing failed.
    const top = execution.states.filter((s) => s.index === undefined).map((s) => `${s.name}:${s.status}`);
    expect(top).toEqual([
      'PlanChecks:SUCCEEDED', 'RunChecks:SUCCEEDED', 'EvaluateChecks:SUCCEEDED', 'AnythingToBuild:SUCCEEDED', 'BuildGold:SUCCEEDED', 'AnyDatasetBlocked:SUCCEEDED', 'RecordRun:SUCCEEDED', 'Published:SUCCEEDED',
    ]);
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
    expect(gate!.datasets).toEqual([{ dataset: 'value_prop_features', blocked: false, blockedBy: [], through: [] }]);
    const published = await partitionLocation('2020-11-28');
    expect(published).toMatch(/^s3:\/\/medallion-dev-gold-000000000000-us-east-1\/value_prop_features\/as_of=2020-11-28\/build=/);
    const results = (await e2e.text(e2e.platform.buckets.silver, '_operations/quality/pass-1.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results).toHaveLength(12);
    expect(results[2]).toMatchObject({ execution: 'pass-1', as_of: '2020-11-28', id: 'pays.rowCount', dataset: 'pays', check: 'pays rowCount', kind: 'rowCount', severity: 'warning', status: 'pass', value: 1, unit: 'rows', threshold: 'mustBeGreaterThan 0', blocks: [] });
    expect(await json('_operations/runs/pass-1.json')).toMatchObject({
      execution: 'pass-1', status: 'SUCCEEDED', request: '{"asOf":"2020-11-28","datasets":["value_prop_features"]}', checks: 12, checks_failed: 0, checks_warned: 0,
      builds: [{ dataset: 'value_prop_features', as_of: '2020-11-28', location: published }], blocked: [], error: null,
    });
  });

  it('retries a throttled Athena call with backoff and succeeds', async () => {
    const before = await partitionLocation('2020-11-28');
    const athena = new AthenaClient({ endpoint: o.athena.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    let throttled = 0;
    athena.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'StartQueryExecutionCommand' && throttled++ < 2) throw new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
        return next(args);
      },
      { step: 'initialize', name: 'throttleTwice' },
    );
    const { execution } = await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { athena, execution: 'retry-1' });
    athena.destroy();
    expect(execution.status).toBe('SUCCEEDED');
    const retried = execution.states.filter((s) => s.status === 'RETRIED');
    expect(retried.map((s) => [s.name, s.error])).toEqual([
      ['StartCheckQuery', 'Athena.TooManyRequestsException: Rate exceeded'],
      ['StartCheckQuery', 'Athena.TooManyRequestsException: Rate exceeded'],
    ]);
    expect(execution.states.filter((s) => s.name === 'StartCheckQuery' && s.status === 'SUCCEEDED')).toHaveLength(12);
    const after = await partitionLocation('2020-11-28');
    expect(after).toContain('/value_prop_features/as_of=2020-11-28/build=');
    expect(after).not.toBe(before);
  });

  it('a failed blocking check blocks only the Gold datasets that read its source, directly or through other Gold datasets', async () => {
    // Prints, taps and pays but no events: the blocking `events rowCount` fails. user_session_analysis reads
    // events; daily_kpis reads user_session_analysis; the other three do not read events and are published.
    const before = await partitionLocation('2020-11-28');
    const { execution, gate } = await runGoldBuild(o, { asOf: '2020-11-28' }, { execution: 'partial-1' });
    const message =
      'quality gate failed, Gold not published for user_session_analysis (events rowCount), daily_kpis (events rowCount; through user_session_analysis); ' +
      'published: daily_revenue, data_quality_history, value_prop_features; failed checks: events rowCount = 0 rows (mustBeGreaterThan 0)';
    expect([execution.status, execution.error, execution.cause]).toEqual(['FAILED', 'QualityGateFailed', message]);
    expect(execution.states.filter((s) => s.index === undefined).map((s) => `${s.name}:${s.status}`)).toEqual([
      'PlanChecks:SUCCEEDED', 'RunChecks:SUCCEEDED', 'EvaluateChecks:SUCCEEDED', 'AnythingToBuild:SUCCEEDED', 'BuildGold:SUCCEEDED',
      'AnyDatasetBlocked:SUCCEEDED', 'AlertDatasetsBlocked:SUCCEEDED', 'RecordPartialRun:SUCCEEDED', 'QualityGateFailed:FAILED',
    ]);
    expect(gate!.results.filter((r) => r.status === 'fail').map((r) => r.id)).toEqual(['events.rowCount']);
    expect(gate!.datasets).toEqual([
      { dataset: 'user_session_analysis', blocked: true, blockedBy: ['events.rowCount'], through: [] },
      { dataset: 'daily_kpis', blocked: true, blockedBy: ['events.rowCount'], through: ['user_session_analysis'] },
      { dataset: 'daily_revenue', blocked: false, blockedBy: [], through: [] },
      { dataset: 'data_quality_history', blocked: false, blockedBy: [], through: [] },
      { dataset: 'value_prop_features', blocked: false, blockedBy: [], through: [] },
    ]);
    expect(await takeAlerts()).toEqual([message]);
    // Published: a new partition of each dataset that does not read events; none of the two that do.
    for (const dataset of ['daily_revenue', 'data_quality_history', 'value_prop_features']) expect([dataset, await partitionLocation('2020-11-28', dataset)]).toEqual([dataset, expect.stringContaining('/build=')]);
    for (const dataset of ['user_session_analysis', 'daily_kpis']) expect([dataset, await partitionLocation('2020-11-28', dataset)]).toEqual([dataset, undefined]);
    expect(await partitionLocation('2020-11-28')).not.toBe(before);
    const run = await json('_operations/runs/partial-1.json');
    expect(run).toMatchObject({
      status: 'PARTIAL', checks_failed: 1, message,
      blocked: [
        { dataset: 'user_session_analysis', blocked_by: ['events.rowCount'], through: [] },
        { dataset: 'daily_kpis', blocked_by: ['events.rowCount'], through: ['user_session_analysis'] },
      ],
    });
    expect((run.builds as { dataset: string; as_of: string }[]).map((b) => [b.dataset, b.as_of])).toEqual([
      ['daily_revenue', '2020-11-28'], ['data_quality_history', '2020-11-28'], ['value_prop_features', '2020-11-28'],
    ]);
    const results = (await e2e.text(e2e.platform.buckets.silver, '_operations/quality/partial-1.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.filter((r) => (r.blocks as string[]).length > 0).map((r) => [r.id, r.status, r.blocks])).toEqual([['events.rowCount', 'fail', ['user_session_analysis', 'daily_kpis']]]);
  });

  it('judges a backfill on the data up to its dates: blocked while a source has none, then one build per as-of date', async () => {
    // Taps have only 2020-11-28 so far: up to 2020-11-27 there is no taps partition, and taps' rowCount rule fails.
    const asOfs = async () => ((await o.glue.send(new GetPartitionsCommand({ DatabaseName: GOLD, TableName: VPF }))).Partitions ?? []).map((p) => p.Values![0]).sort();
    const [partitionsBefore, before] = [await asOfs(), await partitionLocation('2020-11-28')];
    const blocked = await runGoldBuild(o, { from: '2020-11-26', to: '2020-11-27', datasets: ['value_prop_features'] }, { execution: 'backfill-blocked' });
    const message = 'quality gate failed, Gold not published for value_prop_features (taps rowCount); failed checks: taps rowCount = 0 rows (mustBeGreaterThan 0)';
    expect([blocked.execution.status, blocked.execution.cause]).toEqual(['FAILED', message]);
    expect(await takeAlerts()).toEqual([message]);

    await e2e.ingest({ 'taps/2020-11-26.json': ndjson(printRecord('2020-11-26', 1)) });
    const { execution } = await runGoldBuild(o, { from: '2020-11-26', to: '2020-11-27', datasets: ['value_prop_features'] }, { execution: 'backfill-1' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states.filter((s) => s.name === 'BuildAsOf').map((s) => [s.index, s.status])).toEqual([[0, 'SUCCEEDED'], [1, 'SUCCEEDED']]);
    // Two partitions added (whatever other tests published before), the one of 2020-11-28 untouched.
    expect(await asOfs()).toEqual([...new Set([...partitionsBefore, '2020-11-26', '2020-11-27'])].sort());
    const run = await json('_operations/runs/backfill-1.json');
    expect((run.builds as { as_of: string }[]).map((b) => b.as_of)).toEqual(['2020-11-26', '2020-11-27']);
    expect(await partitionLocation('2020-11-28')).toBe(before);
  });

  it('a replay re-sends the bronze objects; processing them again changes nothing', async () => {
    const { bronze, silver } = e2e.platform.buckets;
    const snapshot = async () => {
      const keys = await e2e.keys(silver, '');
      const manifests = await Promise.all(keys.filter((k) => k.startsWith('_operations/manifests/')).map(async (k) => {
        // Everything but when and how long.
        return { ...(JSON.parse(await e2e.text(silver, k)) as RunManifest), processed_at: undefined, duration_ms: undefined };
      }));
      return { keys: keys.filter((k) => !k.startsWith('_operations/quality/') && !k.startsWith('_operations/runs/')), manifests };
    };
    // As the Distributed Map's S3 item reader lists them: Key, Etag (quoted), LastModified (epoch seconds), Size;
    // the prints of SOURCES only (other tests may add prints).
    const items = async () => {
      const listing = await e2e.platform.s3.send(new ListObjectsV2Command({ Bucket: bronze, Prefix: 'prints/' }));
      return listing.Contents!.filter((c) => c.Key! in SOURCES).map((c) => ({ Key: c.Key!, Etag: c.ETag!, LastModified: Math.floor(c.LastModified!.getTime() / 1000), Size: c.Size! }));
    };
    const before = await snapshot();
    for (let round = 0; round < 2; round++) {
      const Items = await items();
      expect(await replay({ Items, BatchInput: { window: null } })).toEqual({ sent: 2, skipped: 0 });
      let processed = 0;
      for (;;) {
        const { received } = await pumpOnce(e2e.platform, e2e.handler, 0);
        if (received === 0) break;
        processed += received;
      }
      expect(processed).toBe(2);
    }
    expect(await snapshot()).toEqual(before);
    // A delivery window that excludes today's objects re-sends nothing.
    expect(await replay({ Items: await items(), BatchInput: { window: { from: Date.parse('2020-01-01T00:00:00Z'), to: Date.parse('2020-01-02T00:00:00Z') } } })).toEqual({ sent: 0, skipped: 2 });
  });

  it('a failing blocking check alerts with the checks and values, publishes no Gold and keeps the previous partition', async () => {
    // The previous partition: a passing build of its own.
    expect((await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { execution: 'blocked-1-before' })).execution.status).toBe('SUCCEEDED');
    const published = await partitionLocation('2020-11-28');
    expect(published).toMatch(/\/build=/);
    const goldBefore = await e2e.keys(e2e.platform.buckets.gold, 'value_prop_features/');
    // 10 unreadable rows against the 4 valid prints of SOURCES: 71 % quarantined, above the 25 % limit.
    await e2e.ingest({ 'prints/2020-11-29.json': Array(10).fill('{not json').join('\n') + '\n' });
    let gold;
    try {
      gold = await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { execution: 'blocked-1' });
    } finally {
      // The ratio counts the files processed in the last day but versions replaced since: an empty version
      // (no rows) takes the bad rows out of the other tests' gates.
      const [emptied] = await e2e.ingest({ 'prints/2020-11-29.json': '' });
      expect([emptied.status, emptied.rows_in]).toEqual(['quarantined', 0]);
    }
    const { execution, gate } = gold;
    const message = 'quality gate failed, Gold not published for value_prop_features (prints quarantine ratio); failed checks: prints quarantine ratio = 71.43 percent (mustBeLessOrEqualTo 25)';
    expect([execution.status, execution.error, execution.cause]).toEqual(['FAILED', 'QualityGateFailed', message]);
    expect([gate!.passed, gate!.buildable, gate!.builds]).toEqual([false, false, []]);
    expect(gate!.datasets).toEqual([{ dataset: 'value_prop_features', blocked: true, blockedBy: ['prints.quarantine'], through: [] }]);
    expect(execution.states.filter((s) => s.index === undefined).map((s) => `${s.name}:${s.status}`)).toEqual([
      'PlanChecks:SUCCEEDED', 'RunChecks:SUCCEEDED', 'EvaluateChecks:SUCCEEDED', 'AnythingToBuild:SUCCEEDED', 'AlertGateFailed:SUCCEEDED', 'RecordBlockedRun:SUCCEEDED', 'QualityGateFailed:FAILED',
    ]);
    expect(await takeAlerts()).toEqual([message]);
    expect(await e2e.keys(e2e.platform.buckets.gold, 'value_prop_features/')).toEqual(goldBefore);
    expect(await partitionLocation('2020-11-28')).toBe(published);
    expect(await json('_operations/runs/blocked-1.json')).toMatchObject({
      status: 'BLOCKED', checks_failed: 1, builds: [], message, blocked: [{ dataset: 'value_prop_features', blocked_by: ['prints.quarantine'], through: [] }],
    });
  });

  it('any other failure is caught: alert with the error, a FAILED run record, then Fail', async () => {
    const { execution } = await runGoldBuild(o, { asOf: '28/11/2020' }, { execution: 'failed-1' });
    expect([execution.status, execution.error, execution.cause]).toEqual(['FAILED', 'GoldBuildFailed', "asOf must be YYYY-MM-DD, got '28/11/2020'"]);
    expect(execution.states.map((s) => `${s.name}:${s.status}`)).toEqual(['PlanChecks:CAUGHT', 'NotifyFailure:SUCCEEDED', 'RecordFailedRun:SUCCEEDED', 'GoldBuildFailed:FAILED']);
    expect(await takeAlerts()).toEqual([`medallion-dev-gold-build execution failed-1 failed: Error: asOf must be YYYY-MM-DD, got '28/11/2020'`]);
    expect(await json('_operations/runs/failed-1.json')).toMatchObject({ status: 'FAILED', message: 'gold-build failed: Error', error: "Error: asOf must be YYYY-MM-DD, got '28/11/2020'", builds: [], blocked: [] });
  });
});

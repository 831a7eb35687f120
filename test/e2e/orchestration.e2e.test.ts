import { AthenaClient, TooManyRequestsException } from '@aws-sdk/client-athena';
import { GetPartitionCommand } from '@aws-sdk/client-glue';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { startLocalOrchestration, runGoldBuild, type LocalOrchestration } from '../../local/orchestration';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
let o: LocalOrchestration;
let alerts: string;
const lines = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const print = (day: string, user: number, vp: string) => ({ day, event_data: { position: 0, value_prop: vp }, user_id: user });
const GOLD = 'medallion_dev_gold';

beforeAll(async () => {
  e2e = await startE2E();
  o = await startLocalOrchestration(e2e.platform);
  // An SQS queue subscribed to the alert topic, to read what was published.
  const q = await e2e.platform.sqs.send(new CreateQueueCommand({ QueueName: 'alerts' }));
  alerts = q.QueueUrl!;
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
  it('passes the quality gate, builds Gold for the as-of date and records the run', async () => {
    const { execution, gate } = await runGoldBuild(o, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, { execution: 'pass-1' });
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    console.log(JSON.stringify(execution.states), JSON.stringify(gate, null, 1));
  });
});

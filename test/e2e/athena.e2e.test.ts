import { AthenaClient } from '@aws-sdk/client-athena';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { goldDatasets, goldSqlText, renderGoldSql } from '../../lambdas/shared/gold';
import { datasetAsOfExpression } from '../../lambdas/shared/quality';
import type { LocalAthena } from '../../local/athena-server';
import { startPlatformAthena } from '../../local/athena';
import { athenaRows } from '../fixtures/athena-rows';
import { startE2E, type E2E } from './harness';

let e2e: E2E;
let athena: LocalAthena;
let client: AthenaClient;
const db = { silver: 'medallion_dev_silver', gold: 'medallion_dev_gold', ops: 'medallion_dev_ops' };

beforeAll(async () => {
  e2e = await startE2E();
  athena = await startPlatformAthena(e2e.platform);
  // The handlers' Athena calls go to the local Athena, everything else to the emulator.
  process.env.AWS_ENDPOINT_URL_ATHENA = athena.endpoint;
  client = new AthenaClient({ endpoint: athena.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // Read by both tests, changed by neither: Athena (started above) sees what the transform writes at once.
  await e2e.ingest({
    'events/2024-03-01.json': [
      { event_id: 'e1', session_id: 's1', user_id: 'u-1', event_type: 'login', timestamp: '2024-03-01T10:00:00Z' },
      { event_id: 'e2', session_id: 's1', user_id: 'u-1', event_type: 'purchase', timestamp: '2024-03-01T10:05:00Z' },
    ].map((e) => JSON.stringify(e)).join('\n'),
    'transactions/2024-03-01.csv': 'transaction_id,session_id,user_id,amount,currency,status,timestamp\nt-1,s1,u-1,19.90,USD,completed,2024-03-01T10:06:00Z\n',
  });
});
afterAll(async () => {
  client?.destroy();
  await athena?.close();
  await e2e?.close();
});

const query = (sql: string) => athenaRows(client, sql, { workGroup: 'medallion-dev-analytics' });

describe('local Athena over the emulator silver bucket', () => {
  it('queries silver tables and run manifests as soon as the transform wrote them', async () => {
    expect(await query(`SELECT event_id, event_type, "timestamp" FROM ${db.silver}.events ORDER BY event_id`)).toEqual([
      ['e1', 'login', '2024-03-01 10:00:00.000'],
      ['e2', 'purchase', '2024-03-01 10:05:00.000'],
    ]);
    expect(await query(`SELECT dataset, status, rows_in FROM ${db.ops}.manifests ORDER BY dataset`)).toEqual([
      ['events', 'ingested', '2'],
      ['transactions', 'ingested', '1'],
    ]);
  });

  it('runs the Gold view custom-resource handler unchanged, then serves the views', async () => {
    const handler = await import('../../lambdas/gold-views/handler');
    for (const dataset of goldDatasets()) {
      const Sql = renderGoldSql(goldSqlText(dataset), { ...db, as_of: datasetAsOfExpression(dataset, db.silver, undefined) });
      const event = { RequestType: 'Create', ResourceProperties: { ServiceToken: 'x', Database: db.gold, ViewName: dataset, Sql, WorkGroup: 'medallion-dev-analytics' } } as unknown as CloudFormationCustomResourceEvent;
      const started = await handler.onEvent(event);
      let done = { IsComplete: false } as { IsComplete?: boolean };
      while (!done.IsComplete) done = await handler.isComplete({ ...event, Data: started.Data });
    }
    expect(await query(`SELECT session_id, total_events, event_type, transaction_id, amount, is_conversion FROM ${db.gold}.user_session_analysis`)).toEqual([
      ['s1', '2', 'login', 't-1', '19.90', 'true'],
    ]);
    expect(await query(`SELECT date, sessions, converted_sessions, conversion_rate FROM ${db.gold}.daily_kpis`)).toEqual([['2024-03-01', '1', '1', '1.0']]);
  });
});

import { AthenaClient, GetQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type * as GoldViewsHandler from '../../lambdas/gold-views/handler';
import { startE2EPlatform, type E2EPlatform } from './harness';

const props = { Database: 'medallion_dev_gold', ViewName: 'daily_kpis', Sql: 'SELECT 1 AS x', WorkGroup: 'primary' };
const event = (RequestType: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}) =>
  ({ RequestType, ResourceProperties: { ServiceToken: 'arn', ...props }, PhysicalResourceId: 'medallion_dev_gold.daily_kpis', ...extra }) as unknown as CloudFormationCustomResourceEvent;

let e2e: E2EPlatform;
let handler: typeof GoldViewsHandler;
beforeAll(async () => {
  e2e = await startE2EPlatform();
  // The handler's clients go to the emulator, as the transform's do.
  Object.assign(process.env, e2e.platform.handlerEnv);
  handler = await import('../../lambdas/gold-views/handler');
});
afterAll(async () => {
  await e2e?.close();
});

describe('Gold view custom resource handler against the emulator', () => {
  it('starts CREATE OR REPLACE VIEW in Athena and completes when the query succeeded', async () => {
    const started = await handler.onEvent(event('Create'));
    expect(started.PhysicalResourceId).toBe('medallion_dev_gold.daily_kpis');
    const id = started.Data!.QueryExecutionId;
    const athena = new AthenaClient({ endpoint: e2e.platform.emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const query = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    expect(query.QueryExecution?.Query).toBe('CREATE OR REPLACE VIEW medallion_dev_gold.daily_kpis AS\nSELECT 1 AS x');
    expect(query.QueryExecution?.WorkGroup).toBe('primary');
    expect(await handler.isComplete({ ...event('Create'), Data: started.Data })).toEqual({ IsComplete: true });
    athena.destroy();
  });

  it('drops the view on delete, and does nothing for a resource whose create never succeeded', async () => {
    expect(handler.viewDdl({ RequestType: 'Delete' }, props)).toBe('DROP VIEW IF EXISTS medallion_dev_gold.daily_kpis');
    expect(await handler.onEvent(event('Delete', { PhysicalResourceId: 'failed-create-id' }))).toEqual({ PhysicalResourceId: 'failed-create-id' });
  });

  it('refuses names that are not Athena identifiers', () => {
    expect(() => handler.viewDdl({ RequestType: 'Create' }, { ...props, ViewName: 'x; DROP TABLE y' })).toThrow("'x; DROP TABLE y' is not a valid Athena identifier (lower case letters, digits and _)");
  });
});

import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { CreateDatabaseCommand, GetDatabasesCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { defaultEmulatorKind, isLocalStack } from '../../local/emulator';
import type { LocalPlatform } from '../../local/platform';
import { e2eEndpoint, startE2EPlatform, type E2EPlatform } from './harness';

// Where moto and LocalStack differ, these tests say which behaves how; the platform code copes with both.
let e2e: E2EPlatform;
let platform: LocalPlatform;
beforeAll(async () => {
  e2e = await startE2EPlatform();
  platform = e2e.platform;
});
afterAll(async () => {
  await e2e?.close();
});

describe('the emulator under the end-to-end tests (moto by default, LocalStack with LOCAL_EMULATOR=localstack)', () => {
  it('is the one asked for, recognised by its health endpoint', async () => {
    const expected = e2eEndpoint() ? platform.emulator.kind : defaultEmulatorKind();
    expect(platform.emulator.kind).toBe(expected);
    expect(await isLocalStack(platform.emulator.endpoint)).toBe(expected === 'localstack');
  });

  it('hands out queue URLs on its own endpoint (LocalStack: with SQS_ENDPOINT_STRATEGY=off), with its own account in ARNs', async () => {
    const { endpoint, kind } = platform.emulator;
    expect(platform.queueUrl).toBe(`${endpoint}/${kind === 'localstack' ? '000000000000' : '123456789012'}/medallion-dev-bronze-events`);
    const { Attributes } = await platform.sqs.send(new GetQueueAttributesCommand({ QueueUrl: platform.queueUrl, AttributeNames: ['QueueArn'] }));
    // moto's default account is 123456789012, LocalStack's 000000000000: the platform reads ARNs, never builds them.
    expect(Attributes?.QueueArn).toBe(`arn:aws:sqs:us-east-1:${kind === 'localstack' ? '000000000000' : '123456789012'}:medallion-dev-bronze-events`);
  });

  it('Glue and Athena: moto emulates them; LocalStack Community does not, so the LocalStack started here routes them to a moto alongside', async () => {
    const aws = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const glue = new GlueClient({ ...aws, endpoint: platform.emulator.endpoint });
    const created = await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'emulator_probe' } }));
    expect(created.$metadata.httpStatusCode).toBe(200);
    expect((await glue.send(new GetDatabasesCommand({}))).DatabaseList?.map((d) => d.Name)).toEqual(['emulator_probe']);
    glue.destroy();
    const athena = new AthenaClient({ ...aws, endpoint: platform.emulator.endpoint });
    expect((await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'primary' }))).QueryExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    athena.destroy();
    const upstreams = platform.emulator.upstreams;
    if (platform.emulator.kind === 'localstack' && upstreams) {
      // LocalStack itself answers 501 for Glue; the database above lives in the moto behind the router.
      const direct = new GlueClient({ ...aws, endpoint: upstreams.localstack });
      await expect(direct.send(new GetDatabasesCommand({}))).rejects.toThrow('The API for service glue is either not included in your current license plan or has not yet been emulated by LocalStack.');
      direct.destroy();
      const behind = new GlueClient({ ...aws, endpoint: upstreams.moto });
      expect((await behind.send(new GetDatabasesCommand({}))).DatabaseList?.map((d) => d.Name)).toEqual(['emulator_probe']);
      behind.destroy();
    }
  });

  it('S3 calls keep their bodies and errors (under LocalStack: through the router, streamed both ways)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'medallion ');
    await platform.s3.send(new PutObjectCommand({ Bucket: platform.buckets.gold, Key: 'probe/big.txt', Body: body, ContentLength: body.length }));
    const got = await platform.s3.send(new GetObjectCommand({ Bucket: platform.buckets.gold, Key: 'probe/big.txt' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    await expect(platform.s3.send(new GetObjectCommand({ Bucket: platform.buckets.gold, Key: 'probe/missing.txt' }))).rejects.toThrow(NoSuchKey);
  });
});

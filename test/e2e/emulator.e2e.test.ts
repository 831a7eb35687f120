import { GetDatabasesCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { defaultEmulatorKind, isLocalStack } from '../../local/emulator';
import { startLocalPlatform, type LocalPlatform } from '../../local/platform';

// Where moto and LocalStack differ, these tests say which behaves how; the platform code copes with both.
let platform: LocalPlatform;
beforeAll(async () => {
  platform = await startLocalPlatform({ endpoint: process.env.E2E_ENDPOINT || undefined });
});
afterAll(async () => {
  await platform?.close();
});

describe('the emulator under the end-to-end tests (moto by default, LocalStack with LOCAL_EMULATOR=localstack)', () => {
  it('is the one asked for, recognised by its health endpoint', async () => {
    const expected = process.env.E2E_ENDPOINT ? platform.emulator.kind : defaultEmulatorKind();
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

  it('Glue: moto emulates it, LocalStack Community does not (the Glue tests use a moto of their own there)', async () => {
    const glue = new GlueClient({ endpoint: platform.emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      const call = glue.send(new GetDatabasesCommand({}));
      if (platform.emulator.kind === 'localstack') await expect(call).rejects.toThrow('The API for service glue is either not included in your current license plan or has not yet been emulated by LocalStack.');
      else expect((await call).DatabaseList).toEqual([]);
    } finally {
      glue.destroy();
    }
  });
});

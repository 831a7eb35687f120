import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalPlatform } from './platform';

export interface PumpResult {
  readonly received: number;
  /** Messages the handler failed (left in the queue for redelivery). */
  readonly failed: number;
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** A Lambda context for in-process invocations. */
export function lambdaContext(functionName: string, timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '2048',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Receives one batch (up to 10 messages) from the bronze notification queue, invokes the handler
 * in-process with the same event shape the Lambda SQS event source delivers, and deletes the messages
 * the handler did not report as failed — as the event source does. Failed messages become visible again
 * and move to the dead-letter queue after maxReceiveCount receives.
 * A handler that throws fails the whole batch, as in Lambda.
 */
export async function pumpOnce(platform: LocalPlatform, handler: SqsHandler, waitSeconds = 1): Promise<PumpResult> {
  const received = await platform.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: platform.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: 0 };
  const queueArn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${platform.queueUrl.split('/').pop()}`;
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: (m.Attributes ?? {}) as unknown as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: LOCAL_REGION,
    })),
  };
  let failed: Set<string>;
  try {
    const response = await handler(event, lambdaContext('medallion-transform'));
    failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    failed = new Set(messages.map((m) => m.MessageId!));
  }
  for (const m of messages) {
    if (!failed.has(m.MessageId!)) await platform.sqs.send(new DeleteMessageCommand({ QueueUrl: platform.queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
  return { received: messages.length, failed: failed.size };
}

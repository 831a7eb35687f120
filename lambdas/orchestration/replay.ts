import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadContracts } from '../shared/contracts';
import { requiredEnv } from '../shared/env';

let sqs: SQSClient | undefined;
const sqsClient = () => (sqs ??= new SQSClient({ maxAttempts: 5 }));

/** The input of the replay state machine. */
export interface ReplayRequest {
  readonly dataset: string;
  /** Key prefix under `<dataset>/` to replay, e.g. `2020-11/`; default the whole dataset. */
  readonly prefix?: string;
  /** Replay only objects delivered (LastModified, UTC) from this date to `to`, inclusive (YYYY-MM-DD). */
  readonly from?: string;
  readonly to?: string;
}

export interface ReplayPlan {
  /** Bronze key prefix to list. */
  readonly prefix: string;
  /** Delivery window in epoch milliseconds, or null for every object under the prefix. */
  readonly window: { readonly from: number; readonly to: number } | null;
  /** Input of the gold-build execution started once the replayed objects are processed. */
  readonly gold: { readonly from?: string; readonly to?: string };
}

/** An item of the Distributed Map's S3 listing (ListObjectsV2 `Contents`). */
export interface ListedObject {
  readonly Key: string;
  readonly Etag?: string;
  readonly ETag?: string;
  /** Epoch seconds (Step Functions' S3 item reader) or an ISO date. */
  readonly LastModified?: number | string;
  readonly Size?: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function planReplay(request: ReplayRequest, datasets: readonly string[]): ReplayPlan {
  const unknownKeys = Object.keys(request ?? {}).filter((k) => !['dataset', 'prefix', 'from', 'to'].includes(k));
  if (unknownKeys.length) throw new Error(`unknown input field(s) ${unknownKeys.join(', ')}; replay takes {dataset, prefix?} or {dataset, from, to}`);
  if (!request?.dataset || !datasets.includes(request.dataset)) {
    throw new Error(`unknown dataset '${String(request?.dataset)}'; known: ${datasets.join(', ')}`);
  }
  const prefix = request.prefix ?? '';
  if (prefix.startsWith('/') || prefix.includes('..')) throw new Error(`prefix '${prefix}' must be relative to '${request.dataset}/' (no leading '/', no '..')`);
  const range = request.from !== undefined || request.to !== undefined;
  if (range && request.prefix !== undefined) throw new Error('give either prefix or from/to, not both');
  if (range && (!DATE.test(request.from ?? '') || !DATE.test(request.to ?? '') || request.to! < request.from!)) {
    throw new Error(`from and to must be YYYY-MM-DD dates with from ≤ to, got from=${String(request.from)} to=${String(request.to)}`);
  }
  return {
    prefix: `${request.dataset}/${prefix}`,
    window: range ? { from: Date.parse(`${request.from}T00:00:00Z`), to: Date.parse(`${request.to}T00:00:00Z`) + 86_400_000 - 1 } : null,
    gold: range ? { from: request.from, to: request.to } : {},
  };
}

/** The S3 `ObjectCreated` notification S3 itself sends for an object (keys URL-encoded, spaces as `+`). */
export function objectCreatedMessage(bucket: string, object: ListedObject): string {
  const eTag = (object.Etag ?? object.ETag ?? '').replace(/"/g, '');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'medallion-replay',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(object.Key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: object.Size ?? 0, ...(eTag ? { eTag } : {}) },
        },
      },
    ],
  });
}

function deliveredAt(o: ListedObject): number {
  return typeof o.LastModified === 'number' ? o.LastModified * 1000 : Date.parse(String(o.LastModified));
}

export type ReplayEvent =
  | { readonly action: 'plan'; readonly request: ReplayRequest }
  | { readonly Items: readonly ListedObject[]; readonly BatchInput: { readonly window: ReplayPlan['window'] } };

/**
 * The replay state machine's steps: `plan` validates the request; a batch of listed bronze objects
 * is re-sent to the bronze queue as S3 ObjectCreated notifications (folder markers and objects delivered
 * outside the window are skipped). The transform derives file ids from bucket, key and ETag, so a replay
 * rewrites the same silver objects and manifests.
 */
export async function handler(event: ReplayEvent): Promise<ReplayPlan | { sent: number; skipped: number }> {
  if ('action' in event && event.action === 'plan') return planReplay(event.request, loadContracts().map((c) => c.name));
  if (!('Items' in event) || !Array.isArray(event.Items)) throw new Error(`expected {action: 'plan', request} or a batch {Items, BatchInput} of listed objects`);
  const bucket = requiredEnv('BRONZE_BUCKET');
  const queueUrl = requiredEnv('BRONZE_QUEUE_URL');
  const window = event.BatchInput?.window ?? null;
  const selected = event.Items.filter((o) => !o.Key.endsWith('/') && (!window || (deliveredAt(o) >= window.from && deliveredAt(o) <= window.to)));
  for (let i = 0; i < selected.length; i += 10) {
    const batch = selected.slice(i, i + 10);
    const out = await sqsClient().send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((o, j) => ({ Id: String(j), MessageBody: objectCreatedMessage(bucket, o) })) }),
    );
    if (out.Failed?.length) throw new Error(`the bronze queue refused ${out.Failed.length} replayed message(s): ${out.Failed.map((f) => `${batch[Number(f.Id)].Key}: ${f.Message}`).join('; ')}`);
  }
  return { sent: selected.length, skipped: event.Items.length - selected.length };
}

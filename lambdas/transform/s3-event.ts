import type { ObjectRef } from './keys';

interface S3EventRecord {
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; versionId?: string; eTag?: string } };
}

/**
 * The created objects named by an S3 event notification (the body of an SQS message). S3's test event,
 * sent when a notification is configured, names none. Keys arrive URL-encoded with `+` for spaces.
 * @throws Error when the body is not an S3 notification at all
 */
export function objectsOf(body: string): ObjectRef[] {
  let parsed: { Event?: string; Records?: S3EventRecord[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new Error(`message body is not JSON: ${body.slice(0, 200)}`);
  }
  if (parsed.Event === 's3:TestEvent') return [];
  if (!Array.isArray(parsed.Records)) throw new Error(`message is not an S3 event notification: ${body.slice(0, 200)}`);
  return parsed.Records.filter((r) => r.eventName?.startsWith('ObjectCreated') && r.s3?.bucket?.name && r.s3.object?.key).map((r) => ({
    bucket: r.s3!.bucket!.name!,
    key: decodeURIComponent(r.s3!.object!.key!.replace(/\+/g, ' ')),
    ...(r.s3!.object!.versionId ? { versionId: r.s3!.object!.versionId } : {}),
    ...(r.s3!.object!.eTag ? { eTag: r.s3!.object!.eTag } : {}),
  }));
}

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LocalPlatform } from './platform';

/** ETag of every file this process mirrored, by local path: a refresh skips objects that did not change. */
const mirrored = new Map<string, string>();

/**
 * Copies the objects under a bucket prefix to `target/<key>`. With `refresh` every object whose ETag
 * changed since this process copied it is copied again; without, only those not there yet (silver objects
 * keep their content under a name, so a copy by name is enough for a mirror that is refreshed often).
 * @returns the number of objects copied
 */
export async function mirror(platform: LocalPlatform, bucket: string, prefix: string, target: string, skip: (key: string) => boolean = () => false, refresh = false): Promise<number> {
  let token: string | undefined;
  let copied = 0;
  do {
    const page = await platform.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key || skip(object.Key)) continue;
      const path = join(target, object.Key);
      if (existsSync(path) && (!refresh || (object.ETag !== undefined && mirrored.get(path) === object.ETag))) continue;
      const body = await platform.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await body.Body!.transformToByteArray());
      if (body.ETag) mirrored.set(path, body.ETag);
      copied++;
    }
    token = page.NextContinuationToken;
  } while (token);
  return copied;
}

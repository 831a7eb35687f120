/**
 * The PII hashing key through the emulator's Secrets Manager: read once, cached for PII_KEY_CACHE_SECONDS,
 * and a rotated key is used once the cache expires (no redeploy, no cold start needed).
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hmacPads, piiPads } from '../../lambdas/transform/pii-key';
import type { LocalPlatform } from '../../local/platform';
import { startE2EPlatform, type E2EPlatform } from './harness';

let e2e: E2EPlatform;
let platform: LocalPlatform;
let secrets: SecretsManagerClient;
beforeAll(async () => {
  e2e = await startE2EPlatform();
  platform = e2e.platform;
  Object.assign(process.env, platform.handlerEnv);
  secrets = new SecretsManagerClient({ endpoint: platform.emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  secrets?.destroy();
  await e2e?.close();
});

it('keeps the key for PII_KEY_CACHE_SECONDS, then reads the rotated one', async () => {
  const SecretId = platform.handlerEnv.PII_KEY_SECRET_ID;
  const original = (await secrets.send(new GetSecretValueCommand({ SecretId }))).SecretString!;
  const rotated = 'r'.repeat(40);
  const t0 = 5_000_000_000_000;
  expect(await piiPads(() => t0)).toEqual(hmacPads(Buffer.from(original)));
  await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: rotated }));
  // Within the 300 s default the container keeps the key it read…
  expect(await piiPads(() => t0 + 299_000)).toEqual(hmacPads(Buffer.from(original)));
  // …and after it, the rotated key.
  expect(await piiPads(() => t0 + 300_000)).toEqual(hmacPads(Buffer.from(rotated)));
  // A key too short is refused, and the failure is not cached.
  await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: 'short' }));
  await expect(piiPads(() => t0 + 700_000)).rejects.toThrow(`the PII hashing key in secret ${SecretId} is 5 bytes; it needs at least 32`);
  await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: original }));
  expect(await piiPads(() => t0 + 700_001)).toEqual(hmacPads(Buffer.from(original)));
});

import { createHash } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { secretsClient, ssmClient } from '../shared/aws-clients';
import type { PiiPads } from './sql';

const BLOCK_BYTES = 64;
const MIN_KEY_BYTES = 32;

/** HMAC-SHA256 inner and outer pads of a key (RFC 2104), so the hash can be computed inside DuckDB. */
export function hmacPads(key: Buffer): PiiPads {
  const k = key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key;
  const block = Buffer.alloc(BLOCK_BYTES);
  k.copy(block);
  const inner = Buffer.alloc(BLOCK_BYTES);
  const outer = Buffer.alloc(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  return { innerPadHex: inner.toString('hex'), outerPadHex: outer.toString('hex') };
}

/** How long a container keeps the key it read, in seconds (`PII_KEY_CACHE_SECONDS`, default 300). */
const cacheSeconds = (): number => {
  const value = Number(process.env.PII_KEY_CACHE_SECONDS ?? 300);
  return Number.isFinite(value) && value >= 0 ? value : 300;
};

let cached: { pads: Promise<PiiPads>; readAt: number } | undefined;

/**
 * The PII hashing key from Secrets Manager (`PII_KEY_SECRET_ID`) or an SSM SecureString
 * (`PII_KEY_PARAMETER`), cached for `PII_KEY_CACHE_SECONDS` (default 5 minutes): a rotated key is used by
 * every container within that time, without a redeploy. A failed read is not cached.
 */
export function piiPads(now: () => number = Date.now): Promise<PiiPads> {
  if (!cached || now() - cached.readAt >= cacheSeconds() * 1000) {
    const entry = { pads: readKey().then(hmacPads), readAt: now() };
    entry.pads.catch(() => {
      if (cached === entry) cached = undefined;
    });
    cached = entry;
  }
  return cached.pads;
}

async function readKey(): Promise<Buffer> {
  const secretId = process.env.PII_KEY_SECRET_ID;
  const parameter = process.env.PII_KEY_PARAMETER;
  let value: string | undefined;
  let source: string;
  if (secretId) {
    source = `secret ${secretId}`;
    value = (await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } else if (parameter) {
    source = `parameter ${parameter}`;
    value = (await ssmClient().send(new GetParameterCommand({ Name: parameter, WithDecryption: true }))).Parameter?.Value;
  } else {
    throw new Error('PII columns need a hashing key: set PII_KEY_SECRET_ID (Secrets Manager) or PII_KEY_PARAMETER (SSM SecureString)');
  }
  const key = Buffer.from(value ?? '', 'utf8');
  if (key.length < MIN_KEY_BYTES) throw new Error(`the PII hashing key in ${source} is ${key.length} bytes; it needs at least ${MIN_KEY_BYTES}`);
  return key;
}

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

let cached: Promise<PiiPads> | undefined;

/**
 * The PII hashing key, read once per container from Secrets Manager (`PII_KEY_SECRET_ID`) or an SSM
 * SecureString (`PII_KEY_PARAMETER`).
 */
export function piiPads(): Promise<PiiPads> {
  cached ??= readKey().then(hmacPads);
  cached.catch(() => (cached = undefined));
  return cached;
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

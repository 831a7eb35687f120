import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mutate, VALID_CONTRACT } from './fixtures/contract-text';

const ROOT = join(__dirname, '..');

/** Runs the real CLI the way `npm run synth` does, without AWS credentials. */
function cdkSynth(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION']) delete env[k];
  return spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', ...args], { cwd: ROOT, env, encoding: 'utf8' });
}

describe('cdk synth (CLI)', () => {
  it('writes the templates of every stack of the dev stage with no credentials', () => {
    const out = mkdtempSync(join(tmpdir(), 'synth-'));
    const result = cdkSynth(['-o', out]);
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string }> };
    expect(Object.keys(manifest.artifacts).filter((k) => manifest.artifacts[k].type === 'aws:cloudformation:stack').sort()).toEqual([
      'medallion-dev-api',
      'medallion-dev-catalog',
      'medallion-dev-gold',
      'medallion-dev-observability',
      'medallion-dev-orchestration',
      'medallion-dev-storage',
      'medallion-dev-transform',
    ]);
  });

  it('fails on a broken contract with its file, line, path and reason, and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    writeFileSync(join(dir, 'clicks.yaml'), mutate('logicalType: integer', 'logicalType: bigint', VALID_CONTRACT));
    const result = cdkSynth(['-c', `contractsDir=${dir}`, '-o', mkdtempSync(join(tmpdir(), 'synth-'))]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `Invalid data contract (1 problem):\n  - ${join(dir, 'clicks.yaml')}:20:22 at /schema/0/properties/1/logicalType: unknown logicalType "bigint"`,
    );
    expect(result.stderr).not.toContain('    at ');
  });

  it('fails on an unknown stage with the known ones', () => {
    const result = cdkSynth(['-c', 'stage=qa', '-o', mkdtempSync(join(tmpdir(), 'synth-'))]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Unknown stage 'qa'. Known stages: dev, prod. Pass one with -c stage=<name>.");
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import flags from '../../lib/feature-flags.json';
import { addPlatform } from '../../lib/platform';

const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** Every template of the dev platform synthesized in an app with this context (no bundling, no nag). */
function templates(context: Record<string, unknown>): Record<string, unknown> {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  addPlatform(app, { stage: 'dev', nag: false });
  const assembly = app.synth();
  return Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]));
}

describe('feature flags', () => {
  it("are the repository's cdk.json context", () => {
    expect(flags).toEqual(CDK_JSON_CONTEXT);
  });

  it("pinned on the platform's stacks: an app without cdk.json, or with the opposite flags, renders the same templates", () => {
    const reference = templates(CDK_JSON_CONTEXT);
    expect(Object.keys(reference)).toHaveLength(7);
    expect(templates({})).toEqual(reference);
    const flipped = Object.fromEntries(Object.entries(CDK_JSON_CONTEXT).filter(([, v]) => typeof v === 'boolean').map(([k, v]) => [k, !v]));
    expect(templates(flipped)).toEqual(reference);
  });
});

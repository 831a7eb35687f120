import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aspects, Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { MedallionStage } from '../../lib';

const context = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

describe('MedallionStage (the platform as a CDK Stage, for CDK Pipelines)', () => {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stage = new MedallionStage(app, 'Dev', { stage: 'dev', env: { account: '123456789012', region: 'eu-west-1' } });
  const assembly = stage.synth();

  it('holds the seven stacks of the stage, in its account and region, named after the Stage', () => {
    const stacks = [stage.platform.storage, stage.platform.catalog, stage.platform.transform, stage.platform.gold, stage.platform.orchestration, stage.platform.api, stage.platform.observability];
    expect(stacks.map((s) => s.stackName)).toEqual(['storage', 'catalog', 'transform', 'gold', 'orchestration', 'api', 'observability'].map((n) => `Dev-medallion-dev-${n}`));
    expect(stacks.every((s) => Stage.of(s) === stage && s.account === '123456789012' && s.region === 'eu-west-1')).toBe(true);
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(stacks.map((s) => s.stackName).sort());
  });

  it('runs cdk-nag on its stacks, clean', () => {
    expect(Aspects.of(stage).all.filter((a) => a instanceof AwsSolutionsChecks)).toHaveLength(1);
    for (const s of [stage.platform.storage, stage.platform.gold, stage.platform.api, stage.platform.orchestration]) {
      expect([s.stackName, Annotations.fromStack(s).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))]).toEqual([s.stackName, []]);
    }
  });
});

import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../lib/config/stage-config';
import { arnFinding, exactArnFinding } from '../../lib/nag-suppressions';
import { synthesizePlatform } from './platform-fixture';

const nagFindings = (stack: Stack) => {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))].map(
    (f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`,
  );
};

// dev environment-agnostic (as `npm run synth`), prod with a concrete account and region (as `cdk synth`
// with credentials, where CDK writes ARNs with their values): the suppressions must hold for both.
const stages = [synthesizePlatform('dev', { bundle: false }), synthesizePlatform('prod', { env: { account: '123456789012', region: 'eu-west-1' }, bundle: false })];

describe('cdk-nag AwsSolutions pack', () => {
  for (const platform of stages) {
    for (const stack of [platform.storage, platform.catalog, platform.transform, platform.gold, platform.orchestration, platform.api, platform.observability]) {
      it(`${stack.stackName}: no unsuppressed error or warning`, () => {
        expect(nagFindings(stack)).toEqual([]);
      });

      it(`${stack.stackName}: every suppression gives a specific reason`, () => {
        const rules = stack.node
          .findAll()
          .map((c) => (c as any).cfnOptions?.metadata?.cdk_nag?.rules_to_suppress as { id: string; reason: string; applies_to?: unknown[] }[] | undefined)
          .filter((r): r is { id: string; reason: string; applies_to?: unknown[] }[] => Array.isArray(r))
          .flat();
        for (const rule of rules) {
          expect(rule.reason.length).toBeGreaterThan(80);
          // Granular IAM rules must name the finding they accept, never the whole rule.
          if (/IAM[45]$/.test(rule.id)) expect(rule.applies_to?.length).toBeGreaterThan(0);
        }
        const expected: Record<string, string[]> = {
          [platform.storage.stackName]: ['AwsSolutions-IAM4'],
          [platform.catalog.stackName]: [],
          [platform.transform.stackName]: ['AwsSolutions-IAM5', 'AwsSolutions-SMG4'],
          [platform.gold.stackName]: ['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SF2'],
          [platform.orchestration.stackName]: ['AwsSolutions-IAM5'],
          [platform.api.stackName]: ['AwsSolutions-APIG3', 'AwsSolutions-COG4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4'],
          [platform.observability.stackName]: [],
        };
        expect([...new Set(rules.map((r) => r.id))].sort()).toEqual(expected[stack.stackName]);
      });
    }
  }
});

  it('with api.manageAccountCloudWatchRole: the API stack is clean too, its role accepted only for the AWS managed policy API Gateway documents', () => {
    const optIn = { dev: { ...STAGES.dev, api: { ...STAGES.dev.api, manageAccountCloudWatchRole: true } } };
    const { api } = synthesizePlatform('dev', { stages: optIn, bundle: false });
    expect(nagFindings(api)).toEqual([]);
    const iam4 = api.node
      .findAll()
      .flatMap((c) => ((c as any).cfnOptions?.metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; applies_to?: unknown[] }[])
      .filter((r) => r.id === 'AwsSolutions-IAM4');
    // Applied to the REST API and its children: the same one suppression everywhere.
    expect(iam4.length).toBeGreaterThan(0);
    expect([...new Set(iam4.map((r) => JSON.stringify(r.applies_to)))]).toEqual([JSON.stringify([exactArnFinding('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs')])]);
  });

describe('nag suppressions that name ARNs', () => {
  it('match the environment-agnostic finding and the one with a concrete partition, region and account, and nothing wider', () => {
    const pattern = arnFinding('Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table\\/.*\\/\\*');
    const regex = new RegExp(pattern.regex.slice(1, -2));
    expect(regex.test('Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/medallion_dev_gold/*')).toBe(true);
    expect(regex.test('Resource::arn:aws:glue:eu-west-1:123456789012:table/medallion_dev_gold/*')).toBe(true);
    expect(regex.test('Resource::arn:aws-us-gov:glue:us-gov-west-1:123456789012:table/medallion_dev_gold/*')).toBe(true);
    expect(regex.test('Resource::arn:aws:glue:eu-west-1:*:table/medallion_dev_gold/*')).toBe(false);
    expect(regex.test('Resource::arn:aws:glue:*:123456789012:table/medallion_dev_gold/*')).toBe(false);
    const exact = new RegExp(exactArnFinding('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole').regex.slice(1, -2));
    expect(exact.test('Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')).toBe(true);
    expect(exact.test('Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRoleX')).toBe(false);
    expect(exact.test('Policy::arn:aws:iam::aws:policy/AdministratorAccess')).toBe(false);
  });
});

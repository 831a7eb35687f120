import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { overviewDot, stackDot } from '../../scripts/diagrams/dot';
import { synthesizeArchitecture } from '../../scripts/diagrams/generate';
import { buildArchitecture, type Architecture, type CfnResource, type DiagramEdge } from '../../scripts/diagrams/model';

const ROOT = join(__dirname, '..', '..');

function edge(arch: Architecture, from: string, to: string): Omit<DiagramEdge, 'from' | 'to'>[] {
  return arch.edges.filter((e) => e.from === from && e.to === to).map(({ kind, labels, both }) => ({ kind, labels, both }));
}

describe('architecture graph of the real app (dev)', () => {
  let arch: Architecture;
  beforeAll(() => {
    arch = synthesizeArchitecture();
  });

  it('has one node per architectural resource of each stack, and none for CDK plumbing', () => {
    const ids = (stack: string) => arch.nodes.filter((n) => n.stack === stack).map((n) => `${n.id} (${n.kind})`);
    // Stacks added later (orchestration, API, …) come after these, in app order.
    expect(arch.stacks.map((s) => s.shortName).slice(0, 4)).toEqual(['storage', 'catalog', 'transform', 'gold']);
    expect(ids('medallion-dev-storage')).toEqual([
      'medallion-dev-storage/AccessLogs (bucket)',
      'medallion-dev-storage/AthenaResults (bucket)',
      'medallion-dev-storage/Bronze (bucket)',
      'medallion-dev-storage/BronzeNotifications/DeadLetterQueue (queue)',
      'medallion-dev-storage/BronzeNotifications/Key (key)',
      'medallion-dev-storage/BronzeNotifications/Queue (queue)',
      'medallion-dev-storage/DataKey (key)',
      'medallion-dev-storage/Gold (bucket)',
      'medallion-dev-storage/Quarantine (bucket)',
      'medallion-dev-storage/Silver (bucket)',
    ]);
    expect(ids('medallion-dev-gold')).toEqual(
      expect.arrayContaining([
        'medallion-dev-gold/GoldBuild/Function (function)',
        'medallion-dev-gold/GoldViews/Custom::GoldView (custom)',
        'medallion-dev-gold/GoldViews/IsComplete (function)',
        'medallion-dev-gold/GoldViews/OnEvent (function)',
        'medallion-dev-gold/tables:medallion_dev_gold (tables)',
      ]),
    );
    const catalog = arch.nodes.filter((n) => n.stack === 'medallion-dev-catalog').map((n) => `${n.label}: ${n.caption}`);
    expect(catalog).toEqual([
      'Athena/WorkGroup: Athena workgroup',
      'BronzeDatabase: Glue database, 6 tables',
      'GoldDatabase: Glue database',
      'OpsDatabase: Glue database, 1 table',
      'SilverDatabase: Glue database, 6 tables',
    ]);
    expect(arch.nodes.find((n) => n.id === 'medallion-dev-gold/GoldViews/Custom::GoldView')?.caption).toBe('Custom::GoldView ×5');
    for (const n of arch.nodes) expect(n.id).not.toMatch(/BucketNotificationsHandler|framework-|waiter-state-machine|AutoDeleteObjects|Role|Policy|FunctionLogs|LogGroup/);
  });

  it('derives the data flow from notifications, event sources and IAM grants', () => {
    const s = 'medallion-dev-storage';
    const fn = 'medallion-dev-transform/Transform/Function';
    expect(edge(arch, 'external:sources', `${s}/Bronze`)).toEqual([{ kind: 'data', labels: ['files'], both: false }]);
    expect(arch.nodes.find((n) => n.id === 'external:sources')?.caption).toBe('events, pays, prints, taps, transactions, users');
    expect(edge(arch, `${s}/Bronze`, `${s}/BronzeNotifications/Queue`)).toEqual([{ kind: 'trigger', labels: ['ObjectCreated'], both: false }]);
    expect(edge(arch, `${s}/BronzeNotifications/Queue`, fn)).toEqual([{ kind: 'trigger', labels: ['consume', 'event source'], both: false }]);
    expect(edge(arch, `${s}/BronzeNotifications/Queue`, `${s}/BronzeNotifications/DeadLetterQueue`)).toEqual([{ kind: 'data', labels: ['dead letters'], both: false }]);
    expect(edge(arch, `${s}/Bronze`, fn)).toEqual([{ kind: 'data', labels: ['read'], both: false }]);
    expect(edge(arch, fn, `${s}/Silver`)).toEqual([{ kind: 'data', labels: ['read', 'write'], both: true }]);
    expect(edge(arch, fn, `${s}/Quarantine`)).toEqual([{ kind: 'data', labels: ['write'], both: false }]);
    expect(edge(arch, fn, `${s}/Bronze`)).toEqual([]);
    expect(edge(arch, 'medallion-dev-transform/Transform/PiiKey', fn)).toEqual([{ kind: 'data', labels: ['read'], both: false }]);
    expect(edge(arch, fn, `${s}/DataKey`)).toEqual([{ kind: 'encryption', labels: ['decrypt', 'encrypt'], both: true }]);
    const build = 'medallion-dev-gold/GoldBuild/Function';
    expect(edge(arch, `${s}/Silver`, build)).toEqual([{ kind: 'data', labels: ['read'], both: false }]);
    expect(edge(arch, build, `${s}/Gold`)).toEqual([{ kind: 'data', labels: ['read', 'write'], both: true }]);
    expect(edge(arch, build, 'medallion-dev-catalog/Athena/WorkGroup')).toEqual([{ kind: 'data', labels: ['query'], both: false }]);
    expect(edge(arch, 'medallion-dev-catalog/Athena/WorkGroup', 'external:consumers')).toEqual([{ kind: 'data', labels: ['SQL'], both: false }]);
  });

  it('derives catalog, provider and monitoring relations', () => {
    const s = 'medallion-dev-storage';
    expect(edge(arch, `${s}/Silver`, 'medallion-dev-catalog/SilverDatabase')).toEqual([{ kind: 'catalog', labels: ['catalogued'], both: false }]);
    expect(edge(arch, `${s}/Gold`, 'medallion-dev-gold/tables:medallion_dev_gold')).toEqual([{ kind: 'catalog', labels: ['catalogued'], both: false }]);
    expect(edge(arch, 'medallion-dev-gold/tables:medallion_dev_gold', 'medallion-dev-catalog/GoldDatabase')).toEqual([{ kind: 'catalog', labels: ['tables in'], both: false }]);
    expect(edge(arch, 'medallion-dev-catalog/Athena/WorkGroup', `${s}/AthenaResults`)).toEqual([{ kind: 'data', labels: ['query results'], both: false }]);
    const views = 'medallion-dev-gold/GoldViews/Custom::GoldView';
    expect(edge(arch, views, 'medallion-dev-gold/GoldViews/OnEvent')).toEqual([{ kind: 'control', labels: ['provider'], both: false }]);
    expect(edge(arch, views, 'medallion-dev-gold/GoldViews/IsComplete')).toEqual([{ kind: 'control', labels: ['provider'], both: false }]);
    expect(edge(arch, views, 'medallion-dev-catalog/SilverDatabase')).toEqual([{ kind: 'control', labels: ['sql'], both: false }]);
    const alarm = 'medallion-dev-transform/Transform/DeadLetterAlarm';
    expect(edge(arch, `${s}/BronzeNotifications/DeadLetterQueue`, alarm)).toEqual([{ kind: 'monitoring', labels: ['metrics'], both: false }]);
    expect(edge(arch, alarm, 'medallion-dev-transform/Alarms')).toEqual([{ kind: 'monitoring', labels: ['notifies'], both: false }]);
    expect(edge(arch, 'medallion-dev-transform/Alarms', 'external:subscribers')).toEqual([{ kind: 'monitoring', labels: ['email'], both: false }]);
  });

  it('renders DOT with no absolute path, asset hash or time, the overview without keys and with providers folded into their custom resource', () => {
    const overview = overviewDot(arch, 'overview');
    const storage = stackDot(arch, 'medallion-dev-storage', 'storage');
    for (const dot of [overview, storage]) {
      expect(dot).not.toContain(ROOT);
      expect(dot).not.toContain(tmpdir());
      expect(dot).not.toMatch(/[0-9a-f]{32}/);
      expect(dot).not.toMatch(/20\d\d-\d\d-\d\d/);
    }
    expect(overview).not.toContain('KMS key');
    expect(overview).not.toContain('"medallion-dev-gold/GoldViews/OnEvent" [');
    expect(overview).toContain('provider: GoldViews/IsComplete, GoldViews/OnEvent');
    expect(overview).toContain('"medallion-dev-gold/GoldViews/Custom::GoldView" -> "medallion-dev-catalog/Athena/WorkGroup"');
    expect(storage).toContain('"medallion-dev-storage/DataKey" [label="DataKey\\nKMS key"');
    // Other stacks' resources appear greyed in a per-stack diagram.
    expect(storage).toContain('"medallion-dev-transform/Transform/Function" [label="Transform/Function\\nLambda function", shape=box, style="rounded,filled,dashed", fillcolor="#fafafa"');
  });
});

describe('architecture graph rules (templates of stacks the app may add)', () => {
  const path = (p: string) => ({ 'aws:cdk:path': p });
  const res = (Type: string, p: string, Properties: Record<string, unknown> = {}): CfnResource => ({ Type, Properties, Metadata: path(p) });

  it('follows API integrations, schedules through their role, imports, permissions and SNS subscriptions; a grant outweighs a definition reference; a shared name relates nothing', () => {
    const arch = buildArchitecture([
      {
        stackName: 'app-orch',
        shortName: 'orch',
        template: {
          Resources: {
            Flow: res('AWS::StepFunctions::StateMachine', 'app-orch/Flow/Resource', {
              StateMachineName: 'app-orch-nightly',
              RoleArn: { 'Fn::GetAtt': ['FlowRole', 'Arn'] },
              DefinitionString: { 'Fn::Join': ['', ['{"Resource":"', { 'Fn::ImportValue': 'app-api:HandlerArn' }, '"}']] },
            }),
            FlowRole: res('AWS::IAM::Role', 'app-orch/Flow/Role/Resource'),
            FlowPolicy: res('AWS::IAM::Policy', 'app-orch/Flow/Role/DefaultPolicy/Resource', {
              Roles: [{ Ref: 'FlowRole' }],
              PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::ImportValue': 'app-api:HandlerArn' } }] },
            }),
            // Named like the state machine: the shared name relates neither to the other.
            Nightly: res('AWS::Scheduler::Schedule', 'app-orch/Nightly', { Name: 'app-orch-nightly', Target: { Arn: { Ref: 'Flow' }, RoleArn: { 'Fn::GetAtt': ['NightlyRole', 'Arn'] } } }),
            NightlyRole: res('AWS::IAM::Role', 'app-orch/NightlyRole/Resource'),
            NightlyPolicy: res('AWS::IAM::Policy', 'app-orch/NightlyRole/DefaultPolicy/Resource', {
              Roles: [{ Ref: 'NightlyRole' }],
              PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: 'Flow' } }] },
            }),
            Failures: res('AWS::SNS::Topic', 'app-orch/Failures/Resource'),
            FailuresQueue: res('AWS::SQS::Queue', 'app-orch/FailuresQueue/Resource'),
            Sub: res('AWS::SNS::Subscription', 'app-orch/FailuresQueue/Sub/Resource', { Protocol: 'sqs', TopicArn: { Ref: 'Failures' }, Endpoint: { 'Fn::GetAtt': ['FailuresQueue', 'Arn'] } }),
          },
        },
      },
      {
        stackName: 'app-api',
        shortName: 'api',
        template: {
          Resources: {
            Api: res('AWS::ApiGateway::RestApi', 'app-api/Api/Resource'),
            Handler: res('AWS::Lambda::Function', 'app-api/Handler/Resource', { FunctionName: 'app-api-handler' }),
            Get: res('AWS::ApiGateway::Method', 'app-api/Api/Default/GET/Resource', {
              RestApiId: { Ref: 'Api' },
              Integration: { Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:lambda:path/functions/', { 'Fn::GetAtt': ['Handler', 'Arn'] }, '/invocations']] } },
            }),
            Perm: res('AWS::Lambda::Permission', 'app-api/Handler/Perm', {
              FunctionName: { 'Fn::GetAtt': ['Handler', 'Arn'] },
              SourceArn: { 'Fn::Join': ['', ['arn:aws:execute-api:', { Ref: 'Api' }, '/*']] },
            }),
            Provider: res('AWS::Lambda::Function', 'app-api/AWS679f53fac002430cb0da5b7982bd2287/Resource'),
          },
          Outputs: { HandlerArn: { Value: { 'Fn::GetAtt': ['Handler', 'Arn'] }, Export: { Name: 'app-api:HandlerArn' } } },
        },
      },
    ]);
    expect(arch.nodes.map((n) => `${n.id} ${n.kind}`)).toEqual([
      'app-api/Api api',
      'app-api/Handler function',
      'app-orch/Failures topic',
      'app-orch/FailuresQueue queue',
      'app-orch/Flow stateMachine',
      'app-orch/Nightly rule',
      'external:consumers external',
    ]);
    expect(arch.edges.map((e) => `${e.from} -> ${e.to} ${e.kind} ${e.labels.join(',')}`)).toEqual([
      'app-api/Api -> app-api/Handler trigger integration,invokes',
      'app-api/Api -> external:consumers data HTTP',
      'app-orch/Failures -> app-orch/FailuresQueue monitoring sqs',
      'app-orch/Flow -> app-api/Handler data invoke',
      'app-orch/Nightly -> app-orch/Flow trigger start,triggers',
    ]);
  });
});

describe('npm run diagrams', () => {
  function check(dir?: string) {
    return spawnSync('npx', ['tsx', 'scripts/diagrams.ts', '--check', ...(dir ? ['--dir', dir] : [])], { cwd: ROOT, encoding: 'utf8' });
  }

  it('committed diagrams/ matches a fresh generation (else: run `npm run diagrams`)', () => {
    const result = check();
    expect(result.stderr).not.toContain('stale');
    // An overview and one diagram per stack, each as DOT and SVG.
    expect(result.stdout).toMatch(/^diagrams\/: (\d+) files up to date$/m);
    expect(Number(/(\d+) files/.exec(result.stdout)![1])).toBe(2 * (1 + readdirSync(join(ROOT, 'diagrams')).filter((f) => f.endsWith('.dot') && f !== 'overview.dot').length));
    expect(result.status).toBe(0);
  });

  it('--check names every stale, missing and extra file and the command to run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagrams-'));
    try {
      cpSync(join(ROOT, 'diagrams'), dir, { recursive: true });
      writeFileSync(join(dir, 'overview.dot'), 'digraph { old }\n');
      unlinkSync(join(dir, 'storage.svg'));
      writeFileSync(join(dir, 'retired.dot'), 'digraph {}\n');
      const result = check(dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('The diagrams are stale (3 files):');
      expect(result.stderr).toContain('overview.dot differs from a fresh generation');
      expect(result.stderr).toContain('storage.svg is missing');
      expect(result.stderr).toContain('retired.dot is no longer generated (no such stack)');
      expect(result.stderr).toContain('Run `npm run diagrams` and commit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

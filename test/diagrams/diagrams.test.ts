import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { overviewDot, stackDot } from '../../scripts/diagrams/dot';
import { synthesizeArchitecture } from '../../scripts/diagrams/generate';
import { overviewGraph } from '../../scripts/diagrams/overview';
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
    expect(overview).toContain('<b>GoldViews</b><br/><font point-size="13" color="#424242">Custom::GoldView ×5</font><br/><font point-size="13" color="#424242">+ 2 Lambdas</font>');
    expect(overview).toContain('"medallion-dev-gold/GoldViews" -> "medallion-dev-catalog/Athena"');
    expect(storage).toContain('"medallion-dev-storage/DataKey" [label="DataKey\\nKMS key\\nused by 14"');
    // Other stacks' resources appear greyed in a per-stack diagram.
    expect(storage).toContain('"medallion-dev-transform/Transform/Function" [label="Transform/Function\\nLambda function", shape=box, style="rounded,filled,dashed", fillcolor="#fafafa"');
  });
});

/** The smallest text of an SVG, in pixels, when it is drawn `widthPx` wide (font sizes are in viewBox units). */
function smallestTextPx(svg: string, widthPx: number): number {
  const viewBox = /<svg[^>]*viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg);
  if (!viewBox) throw new Error('no viewBox');
  const scale = /<g id="graph0" class="graph" transform="scale\(([\d.]+) ([\d.]+)\)/.exec(svg);
  const sizes = [...svg.matchAll(/<text[^>]*font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
  if (sizes.length === 0) throw new Error('no text');
  return (Math.min(...sizes) * Number(scale?.[1] ?? 1) * widthPx) / Number(viewBox[3]);
}

describe('the overview reads on one screen', () => {
  let arch: Architecture;
  let svg: string;
  beforeAll(() => {
    arch = synthesizeArchitecture();
    svg = readFileSync(join(ROOT, 'diagrams', 'overview.svg'), 'utf8');
  });

  it('has one node per architectural role, folded from the model', () => {
    const graph = overviewGraph(arch);
    expect(graph.nodes.map((n) => `${n.label} [${n.group}]: ${n.caption.replace(/\n/g, ' / ')}`)).toEqual([
      'Consumers [flow]: analysts, applications',
      'Sources [flow]: events, pays, prints, taps, transactions, users',
      'Http [flow]: API Gateway + 2 Lambdas, secret',
      'Athena [flow]: Athena workgroup + S3 bucket / Glue: 4 databases, 20 tables / tables over Bronze, Gold, Silver',
      'GoldBuild (gold) [flow]: Lambda',
      'GoldViews [flow]: Custom::GoldView ×5 + 2 Lambdas',
      'GoldBuild (orchestration) [orchestration]: Step Functions + 2 Lambdas, schedule',
      'Replay [orchestration]: Step Functions + Lambda',
      'Bronze [flow]: S3 bucket',
      'BronzeNotifications [flow]: SQS queue + DLQ',
      'Gold [flow]: S3 bucket',
      'Quarantine [flow]: S3 bucket',
      'Silver [flow]: S3 bucket',
      'Transform [flow]: Lambda + secret',
      'Observability [observability]: SNS topic, dashboard, 12 alarms, e-mail',
    ]);
    expect(graph.nodes.length).toBeLessThanOrEqual(20);
    // Every model node is in exactly one role or left out as plumbing.
    expect([...graph.nodes.flatMap((n) => n.members), ...graph.hidden].sort()).toEqual(arch.nodes.map((n) => n.id).sort());
    expect(graph.hidden).toEqual(['medallion-dev-storage/AccessLogs', 'medallion-dev-storage/BronzeNotifications/Key', 'medallion-dev-storage/DataKey', 'medallion-dev-transform/Key']);
  });

  it('draws the data flow and what orchestration drives, with short labels, and no monitoring edge', () => {
    const label = (id: string) => overviewGraph(arch).nodes.find((n) => n.id === id)?.label ?? id;
    const edges = overviewGraph(arch).edges.map((e) => `${label(e.from)} -> ${label(e.to)} (${e.kind}: ${e.labels.join(', ')}${e.both ? ', both ways' : ''})`);
    expect(edges).toEqual([
      'Sources -> Bronze (data: files)',
      'Http -> Consumers (data: HTTP)',
      'Http -> Athena (data: queries)',
      'Http -> Bronze (data: writes)',
      'Athena -> Consumers (data: SQL)',
      'GoldBuild (gold) -> Athena (data: queries)',
      'GoldBuild (gold) -> Gold (data: read/write, both ways)',
      'GoldViews -> Athena (data: queries)',
      'GoldBuild (orchestration) -> GoldBuild (gold) (data: invokes)',
      'Replay -> GoldBuild (orchestration) (data: starts)',
      'Replay -> BronzeNotifications (data: sends)',
      'Bronze -> BronzeNotifications (trigger: ObjectCreated)',
      'Bronze -> Transform (data: reads)',
      'BronzeNotifications -> Transform (trigger: events)',
      'Gold -> Http (data: reads)',
      'Silver -> Http (data: reads)',
      'Silver -> GoldBuild (gold) (data: reads)',
      'Silver -> GoldViews (data: reads)',
      'Transform -> Quarantine (data: writes)',
      'Transform -> Silver (data: read/write, both ways)',
    ]);
  });

  it('committed overview.svg is a slide: landscape, ≤ 20 nodes, smallest text ≥ 11 px at 1600 px wide', () => {
    const [, width, height] = /<svg width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg)!.map(Number);
    expect(width / height).toBeGreaterThanOrEqual(1.3);
    expect(width / height).toBeLessThanOrEqual(2.5);
    expect(smallestTextPx(svg, 1600)).toBeGreaterThanOrEqual(11);
    // Roles, the two connectors that carry an edge between rows, and the legend.
    const nodes = [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/&#45;/g, '-'));
    expect(nodes.length).toBe(15 + 2 + 1);
    expect(nodes.filter((n) => n.includes('(row ')).sort()).toEqual(['medallion-dev-storage/Bronze (row 2)', 'medallion-dev-storage/Silver (row 2)']);
    expect(svg.match(/class="edge"/g)?.length).toBe(20);
  });

  it('measures the smallest text at the drawn width', () => {
    const tiny = '<svg width="400pt" height="100pt" viewBox="0.00 0.00 400.00 100.00"><g id="graph0" class="graph" transform="scale(1 1) rotate(0)"><text font-size="8.00">a</text><text font-size="10.00">b</text></g></svg>';
    expect(smallestTextPx(tiny, 1600)).toBe(32);
    expect(smallestTextPx(tiny, 200)).toBe(4);
  });
});

describe('per-stack diagrams fold alarms and plumbing', () => {
  let arch: Architecture;
  beforeAll(() => {
    arch = synthesizeArchitecture();
  });

  it('draws the alarms of a stack as one node and no encryption or logging edge', () => {
    const observability = stackDot(arch, 'medallion-dev-observability', 'observability');
    expect(observability).toContain('"medallion-dev-observability/(alarms)" [label="Alarms\\nCloudWatch alarm ×11"');
    expect(observability).not.toContain('"medallion-dev-observability/Alarms/Freshness-events"');
    expect(observability.match(/-> "medallion-dev-transform\/Alarms"/g)).toEqual(['-> "medallion-dev-transform/Alarms"']);
    for (const stack of arch.stacks) {
      const dot = stackDot(arch, stack.stackName, stack.shortName);
      expect(dot).not.toMatch(/label="(KMS key|logs|access logs|decrypt|encrypt)/);
      // Edges to and from plumbing are drawn beside the flow, never placing its nodes.
      for (const line of dot.split('\n').filter((l) => l.includes('style=dotted') && l.includes(' -> ') && !l.includes('legend_'))) expect(line).toContain('constraint=false');
    }
  });

  it('puts keys, dead-letter queues, access-log buckets and alarm topics in a cluster of their own', () => {
    const plumbing = (stack: string) => {
      const dot = stackDot(arch, stack, stack);
      const start = dot.indexOf(`subgraph "cluster_${stack}_plumbing"`);
      return start < 0 ? [] : [...dot.slice(start, dot.indexOf('    }', start)).matchAll(/^ {6}"([^"]+)" \[/gm)].map((m) => m[1]);
    };
    expect(plumbing('medallion-dev-storage')).toEqual(['medallion-dev-storage/AccessLogs', 'medallion-dev-storage/BronzeNotifications/DeadLetterQueue', 'medallion-dev-storage/BronzeNotifications/Key', 'medallion-dev-storage/DataKey']);
    expect(plumbing('medallion-dev-transform')).toEqual(['medallion-dev-transform/(alarms)', 'medallion-dev-transform/Alarms', 'medallion-dev-transform/Key']);
    expect(plumbing('medallion-dev-gold')).toEqual([]);
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

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { resolveCfn } from '../../local/state-machine';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev');
const t = dev.orchestrationTemplate;
type State = Record<string, any>;
const machines = resourcesOf(t, 'AWS::StepFunctions::StateMachine');
const machine = (name: string) => Object.entries(machines).find(([, m]) => m.Properties.StateMachineName === name)!;
const definition = (name: string) => JSON.parse(resolveCfn(machine(name)[1].Properties.DefinitionString)) as { StartAt: string; TimeoutSeconds: number; States: Record<string, State> };
const goldBuild = definition('medallion-dev-gold-build');
const replay = definition('medallion-dev-replay');
const checkStates = goldBuild.States.RunChecks.ItemProcessor.States as Record<string, State>;
const policies = Object.entries(resourcesOf(t, 'AWS::IAM::Policy'));
const statementsOf = (logicalIdPrefix: string) =>
  policies.filter(([id]) => id.startsWith(logicalIdPrefix)).flatMap(([, p]) => (p.Properties.PolicyDocument as any).Statement as { Action: string | string[]; Resource: unknown }[]);
const actions = (s: { Action: string | string[] }) => [s.Action].flat();

describe('orchestration stack: gold-build state machine', () => {
  it('has X-Ray tracing, logs every transition without execution data, and an execution timeout', () => {
    expect(machine('medallion-dev-gold-build')[1].Properties).toMatchObject({
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    expect(goldBuild.TimeoutSeconds).toBe(12 * 3600);
  });

  it('runs plan → checks → evaluation → Gold builds of the datasets not blocked → run record', () => {
    expect(goldBuild.StartAt).toBe('PlanChecks');
    const next = (name: string) => goldBuild.States[name].Next;
    expect([next('PlanChecks'), next('RunChecks'), next('EvaluateChecks')]).toEqual(['RunChecks', 'EvaluateChecks', 'AnythingToBuild']);
    // The evaluation gets what it needs to block per dataset: the requested datasets, their lineage, the planned builds.
    expect(goldBuild.States.EvaluateChecks.Parameters).toMatchObject({
      action: 'results', 'checks.$': '$.plan.checks', 'cells.$': '$.cells', 'datasets.$': '$.plan.datasets', 'lineage.$': '$.plan.lineage', 'builds.$': '$.plan.builds',
    });
    // Every requested dataset blocked: alert, BLOCKED run record, Fail; nothing built.
    expect(goldBuild.States.AnythingToBuild).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.gate.buildable', BooleanEquals: false, Next: 'AlertGateFailed' }], Default: 'BuildGold' });
    expect([next('AlertGateFailed'), next('RecordBlockedRun')]).toEqual(['RecordBlockedRun', 'QualityGateFailed']);
    expect(goldBuild.States.QualityGateFailed).toEqual({ Type: 'Fail', Error: 'QualityGateFailed', CausePath: '$.gate.message' });
    // Otherwise the builds the gate left (those of the datasets not blocked), then: all built, or alert, PARTIAL run record, Fail.
    expect(goldBuild.States.BuildGold).toMatchObject({ Type: 'Map', ItemsPath: '$.gate.builds', MaxConcurrency: 1, Next: 'AnyDatasetBlocked' });
    expect(goldBuild.States.AnyDatasetBlocked).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.gate.passed', BooleanEquals: false, Next: 'AlertDatasetsBlocked' }], Default: 'RecordRun' });
    expect([next('AlertDatasetsBlocked'), next('RecordPartialRun'), next('RecordRun')]).toEqual(['RecordPartialRun', 'QualityGateFailed', 'Published']);
    const status = (name: string) => goldBuild.States[name].Parameters.status;
    expect(['RecordRun', 'RecordPartialRun', 'RecordBlockedRun', 'RecordFailedRun'].map(status)).toEqual(['SUCCEEDED', 'PARTIAL', 'BLOCKED', 'FAILED']);
    for (const name of ['RecordPartialRun', 'RecordBlockedRun']) expect(goldBuild.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'QualityGateFailed' }]);
  });

  it('runs each check as an Athena query with .sync, then reads its one value', () => {
    expect(goldBuild.States.RunChecks).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.checks', MaxConcurrency: 4 });
    expect(checkStates.StartCheckQuery).toMatchObject({
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Parameters: { 'QueryString.$': '$.sql', WorkGroup: 'medallion-dev-analytics', QueryExecutionContext: { Database: 'medallion_dev_silver' } },
      Next: 'GetCheckResult',
    });
    expect(checkStates.GetCheckResult).toMatchObject({ Resource: 'arn:aws:states:::athena:getQueryResults', Parameters: { 'QueryExecutionId.$': '$.query.id', MaxResults: 2 }, End: true });
  });

  it('retries throttling and transient Athena errors with exponential backoff and jitter', () => {
    expect(checkStates.StartCheckQuery.Retry).toEqual([
      { ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 10, MaxAttempts: 1, BackoffRate: 2 },
    ]);
    expect(checkStates.GetCheckResult.Retry[0].ErrorEquals).toContain('Athena.TooManyRequestsException');
  });

  it('sends every failure to one notification path: alert, run record, Fail', () => {
    for (const name of ['PlanChecks', 'RunChecks', 'EvaluateChecks', 'BuildGold', 'RecordRun', 'AlertGateFailed', 'AlertDatasetsBlocked']) {
      expect([name, goldBuild.States[name].Catch]).toEqual([name, [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' }]]);
    }
    expect(goldBuild.States.NotifyFailure).toMatchObject({ Resource: 'arn:aws:states:::sns:publish', Next: 'RecordFailedRun' });
    expect(goldBuild.States.NotifyFailure.Parameters['Message.$']).toBe("States.Format('medallion-dev-gold-build execution {} failed: {}: {}', $$.Execution.Name, $.error.Error, $.error.Cause)");
    expect(goldBuild.States.RecordFailedRun.Next).toBe('GoldBuildFailed');
    expect([goldBuild.States.AlertGateFailed.Parameters, goldBuild.States.AlertDatasetsBlocked.Parameters]).toEqual([
      expect.objectContaining({ Subject: 'medallion-dev-gold-build: quality gate failed, Gold not published', 'Message.$': '$.gate.message' }),
      expect.objectContaining({ Subject: 'medallion-dev-gold-build: quality gate failed, some Gold datasets not published', 'Message.$': '$.gate.message' }),
    ]);
  });

  it('is started daily by EventBridge Scheduler with the expression of the stage config', () => {
    t.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // No explicit name: CloudFormation names the schedule.
    expect(Object.values(resourcesOf(t, 'AWS::Scheduler::Schedule'))[0].Properties.Name).toBeUndefined();
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: { Ref: machine('medallion-dev-gold-build')[0] }, Input: '{}' },
    });
    expect(statementsOf('SchedulerRoleForTarget').map((s) => [s.Action, s.Resource])).toEqual([['states:StartExecution', { Ref: machine('medallion-dev-gold-build')[0] }]]);
  });

  it('state machine role: queries only in the workgroup, Glue reads of exactly the checked tables, objects of the dataset prefixes', () => {
    const statements = statementsOf('GoldBuildStateMachineRole');
    const all = statements.flatMap(actions);
    // No Glue DDL, no bucket creation, nothing on every bucket.
    expect(all.filter((a) => /^glue:(Create|Delete|Update|Batch)|^s3:CreateBucket|^lakeformation:/.test(a))).toEqual([]);
    for (const s of statements.filter((x) => actions(x).some((a) => a.startsWith('athena:')))) expect(JSON.stringify(s.Resource)).toContain(':workgroup/medallion-dev-analytics');
    const glue = statements.find((s) => actions(s).includes('glue:GetTable'))!;
    expect(actions(glue)).toEqual(['glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable']);
    const tables = (glue.Resource as unknown[]).map(resolveCfn).filter((r) => r.includes(':table/')).map((r) => r.replace(/^.*:table\//, ''));
    expect(tables.sort()).toEqual(['medallion_dev_ops/manifests', 'medallion_dev_silver/events', 'medallion_dev_silver/pays', 'medallion_dev_silver/prints', 'medallion_dev_silver/taps', 'medallion_dev_silver/transactions', 'medallion_dev_silver/users']);
    // Bucket ARNs resolve to `…:function:<logical id of the bucket>`; keep `<bucket>/<prefix>`.
    const reads = statements.filter((s) => actions(s).includes('s3:GetObject')).flatMap((s) => [s.Resource].flat().map((r) => resolveCfn(r).replace(/^.*function:([A-Za-z]+)[0-9A-F]{8}Arn[0-9A-F]{8}/, '$1')));
    expect(reads.sort()).toEqual([
      'AthenaResults/results/*', 'AthenaResults/results/*',
      'Silver/_operations/manifests/*', 'Silver/events/*', 'Silver/pays/*', 'Silver/prints/*', 'Silver/taps/*', 'Silver/transactions/*', 'Silver/users/*',
    ]);
  });

  it('bundles the contracts and the Gold SQL next to the plan function', () => {
    const fn = Object.values(resourcesOf(t, 'AWS::Lambda::Function')).find((f) => (f.Properties as any).Environment?.Variables?.CONTRACTS_DIR && (f.Properties as any).Environment.Variables.SQL_DIR)!;
    expect((fn.Properties as any).Environment.Variables).toMatchObject({ SILVER_DATABASE: 'medallion_dev_silver', OPS_DATABASE: 'medallion_dev_ops', CONTRACTS_DIR: '/var/task/contracts', SQL_DIR: '/var/task/sql' });
    const dir = (dev.orchestration.node.root as unknown as { synth: () => { directory: string } }).synth().directory;
    const asset = join(dir, `asset.${(fn.Properties as any).Code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(join(asset, 'contracts')).sort()).toEqual(['events.yaml', 'pays.yaml', 'prints.yaml', 'taps.yaml', 'transactions.yaml', 'users.yaml']);
    expect(readdirSync(join(asset, 'sql', 'gold'))).toHaveLength(5);
  });

  it('record function writes only quality results and run records; plan function touches no data', () => {
    const record = statementsOf('GoldBuildRecordRole').filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    expect(record.flatMap((s) => [s.Resource].flat().map((r) => resolveCfn(r).replace(/^.*function:Silver[0-9A-F]{8}Arn[0-9A-F]{8}/, '')))).toEqual(['/_operations/quality/*', '/_operations/runs/*']);
    expect(statementsOf('GoldBuildPlanRole').flatMap(actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('persists quality results and run records as Glue tables of the ops database', () => {
    const tables = Object.values(resourcesOf(t, 'AWS::Glue::Table')).map((r) => r.Properties as any);
    expect(tables.map((x) => [x.DatabaseName, x.TableInput.Name, resolveCfn(x.TableInput.StorageDescriptor.Location).replace(/^.*Silver[0-9A-F]{8}[A-Za-z0-9]*/, '')])).toEqual([
      ['medallion_dev_ops', 'quality_results', '/_operations/quality/'],
      ['medallion_dev_ops', 'runs', '/_operations/runs/'],
    ]);
    expect(tables[0].TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(['execution', 'checked_at', 'as_of', 'id', 'dataset', 'check', 'kind', 'severity', 'status', 'value', 'unit', 'threshold', 'blocks']);
    expect(tables[1].TableInput.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'blocked').Type).toBe('array<struct<dataset:string,blocked_by:array<string>,through:array<string>>>');
  });
});

describe('orchestration stack: replay state machine', () => {
  it('lists bronze with a Distributed Map, re-sends in batches, waits for the queue to drain, then runs gold-build', () => {
    expect(replay.StartAt).toBe('PlanReplay');
    expect(replay.States.ReplayObjects).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Prefix.$': '$.plan.prefix' } },
      ItemBatcher: { MaxItemsPerBatch: 100, BatchInput: { 'window.$': '$.plan.window' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      Next: 'WaitForTransform',
    });
    expect(replay.States.QueueDepth).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:sqs:getQueueAttributes', Next: 'QueueDrained' });
    expect(replay.States.QueueDrained.Default).toBe('WaitForTransform');
    expect(replay.States.RunGoldBuild).toMatchObject({ Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { 'Input.$': '$.plan.gold' } });
    expect(machine('medallion-dev-replay')[1].Properties).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false } });
  });

  it('alerts on failure as gold-build does: the same message, retried on SNS throttling', () => {
    expect(replay.States.NotifyFailure).toMatchObject({ Resource: 'arn:aws:states:::sns:publish', Next: 'ReplayFailed', Retry: goldBuild.States.NotifyFailure.Retry });
    expect(replay.States.NotifyFailure.Retry).toEqual([{ ErrorEquals: ['SNS.ThrottledException', 'SNS.InternalErrorException'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 }]);
    expect(replay.States.NotifyFailure.Parameters['Message.$']).toBe("States.Format('medallion-dev-replay execution {} failed: {}: {}', $$.Execution.Name, $.error.Error, $.error.Cause)");
  });

  it('reads no bronze object itself: it lists the bucket, the transform reads', () => {
    const all = statementsOf('ReplayStateMachineRole').flatMap(actions);
    expect(all).toContain('s3:ListBucket');
    expect(all.filter((a) => a.startsWith('s3:') && a !== 's3:ListBucket')).toEqual([]);
    expect(statementsOf('ReplayFunctionRole').flatMap(actions).filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });
});

describe('synthesized definitions', () => {
  it('are valid Amazon States Language (asl-validator, as aws-local-stepfunctions checks before running)', () => {
    for (const d of [goldBuild, replay]) expect(() => new StateMachine(d as never, { validationOptions: { checkArn: false } })).not.toThrow();
    expect(() => new StateMachine({ StartAt: 'X', States: { X: { Type: 'Task', Resource: 'r', Parameters: '$' } } } as never)).toThrow();
  });
});

describe('orchestration stack exposes what observability needs', () => {
  it('the state machines and the alert topic', () => {
    expect(dev.orchestration.goldBuild.stateMachineName).toBeDefined();
    expect(dev.orchestration.replay).toBeDefined();
    expect(dev.orchestration.alertTopic).toBe(dev.transform.alarmTopic);
    t.hasResourceProperties('AWS::IAM::Policy', Match.objectLike({ PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish' })]) } }));
  });
});

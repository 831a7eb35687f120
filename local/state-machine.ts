import { App, Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { addPlatform } from '../lib/platform';
import type { StageConfig } from '../lib/config/stage-config';
import { defaultContractsDir } from '../lambdas/shared/contracts';
import { defaultSqlDir } from '../lambdas/shared/gold';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './platform';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A CloudFormation value (`Fn::Join`, `Ref`, `Fn::GetAtt`, cross-stack outputs) as the text it would
 * have in the local account: resources by logical id, e.g. `arn:aws:lambda:us-east-1:000000000000:function:<LogicalId>`.
 */
export function resolveCfn(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveCfn).join(separator);
  }
  if (typeof v.Ref === 'string') {
    return ({ 'AWS::Partition': 'aws', 'AWS::Region': LOCAL_REGION, 'AWS::AccountId': LOCAL_ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' } as Record<string, string>)[v.Ref] ?? v.Ref;
  }
  if (Array.isArray(v['Fn::GetAtt'])) return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${String((v['Fn::GetAtt'] as string[])[0])}`;
  if (v['Fn::GetStackOutput']) {
    // `PublishOutputFnGetAtt<LogicalId>Arn<hash>`: the producer's logical id names the resource.
    const output = String((v['Fn::GetStackOutput'] as { OutputName: string }).OutputName);
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${output.replace(/^PublishOutput(FnGetAtt|Ref)/, '')}`;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a state machine definition`);
}

export interface SynthesizedStateMachine {
  readonly definition: StateMachineDefinition;
  /** Logical ids of the Lambda functions its tasks invoke, by role. */
  readonly functions: Readonly<Record<string, string>>;
}

/**
 * The definitions of the platform's state machines exactly as `cdk synth` renders them for a stage (the
 * CDK app is built in-process without bundling Lambda code), with account, region and resource names
 * resolved for the local account.
 */
export function synthesizedStateMachines(config: StageConfig): { goldBuild: SynthesizedStateMachine; replay: SynthesizedStateMachine } {
  // The platform's stacks pin their own feature flags: no cdk.json needed.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platform = addPlatform(app, { stage: config.stage, stages: { [config.stage]: config }, contractsDir: defaultContractsDir(), sqlDir: defaultSqlDir(), nag: false });
  const assembly = app.synth();
  const { orchestration, gold } = platform;
  const template = assembly.getStackByName(orchestration.stackName).template as { Resources: Record<string, { Properties: Record<string, unknown> }> };
  const logicalId = (c: { node: { defaultChild?: unknown } }) => Stack.of(c as never).getLogicalId(c.node.defaultChild as never);
  const definitionOf = (sm: sfn.StateMachine) => JSON.parse(resolveCfn(template.Resources[logicalId(sm)].Properties.DefinitionString)) as StateMachineDefinition;
  return {
    goldBuild: {
      definition: definitionOf(orchestration.goldBuild),
      functions: { plan: logicalId(orchestration.goldBuildFlow.planFunction), record: logicalId(orchestration.goldBuildFlow.recordFunction), build: logicalId(gold.build.function) },
    },
    replay: { definition: definitionOf(orchestration.replay), functions: { replay: logicalId(orchestration.replayFlow.function) } },
  };
}

/** A local implementation of a Task state: receives the state's effective parameters, returns its result. */
export type LocalTask = (input: Json) => Promise<Json>;

export interface StateOutcome {
  readonly name: string;
  /** SUCCEEDED, FAILED, RETRIED (failed, then retried) or CAUGHT (failed into a Catch). */
  status: 'SUCCEEDED' | 'FAILED' | 'RETRIED' | 'CAUGHT';
  /** Iteration of the enclosing Map, for states inside one. */
  readonly index?: number;
  error?: string;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly execution: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly states: StateOutcome[];
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** Every Task state of a definition, including those inside Map and Parallel states. */
export function taskStates(definition: StateMachineDefinition): { name: string; resource: string }[] {
  const out: { name: string; resource: string }[] = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') out.push({ name, resource: String(state.Resource) });
      const inner = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (inner) walk(inner.States);
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) walk(branch.States);
    }
  };
  walk(definition.States as unknown as Record<string, Record<string, unknown>>);
  return out;
}

/**
 * Runs a state machine definition with the aws-local-stepfunctions interpreter, every Task state served
 * by the local implementation `taskFor` picks for its name and resource, and records each state's outcome.
 */
export async function executeLocally(
  name: string,
  definition: StateMachineDefinition,
  input: Json,
  taskFor: (state: string, resource: string) => LocalTask,
  options: { readonly execution?: string; readonly retryIntervalMs?: number; readonly onState?: (outcome: StateOutcome) => void } = {},
): Promise<ExecutionRecord> {
  const tasks = taskStates(definition);
  const handlers = Object.fromEntries(tasks.map((t) => [t.name, taskFor(t.name, t.resource)]));
  const execution = options.execution ?? `${name}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const retryIntervalOverrides = options.retryIntervalMs === undefined ? undefined : Object.fromEntries(tasks.map((t) => [t.name, options.retryIntervalMs!]));
  const run = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
    context: { Execution: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${name}:${execution}`, Name: execution, StartTime: new Date().toISOString(), Input: input as never } },
  });
  const states: StateOutcome[] = [];
  // The interpreter reports a caught state as exited too; its outcome stays CAUGHT.
  const caught = new Set<string>();
  const last = (state: string, index?: number) => [...states].reverse().find((s) => s.name === state && s.index === index);
  const collect = (async () => {
    for await (const event of run.eventLogs) {
      if (!('state' in event)) continue;
      const index = event.index;
      switch (event.type) {
        case 'StateExited':
          if (caught.delete(`${event.state.name}#${index}`)) break;
          states.push({ name: event.state.name, status: 'SUCCEEDED', ...(index !== undefined ? { index } : {}) });
          options.onState?.(states[states.length - 1]);
          break;
        case 'StateFailed':
          states.push({ name: event.state.name, status: 'FAILED', ...(index !== undefined ? { index } : {}), error: `${event.Error}: ${String(event.Cause)}`.slice(0, 500) });
          options.onState?.(states[states.length - 1]);
          break;
        case 'StateRetried':
        case 'StateCaught': {
          const failed = last(event.state.name, index);
          if (failed) failed.status = event.type === 'StateRetried' ? 'RETRIED' : 'CAUGHT';
          if (event.type === 'StateCaught') caught.add(`${event.state.name}#${index}`);
          break;
        }
        default:
          break;
      }
    }
  })();
  try {
    const output = await run.result;
    await collect;
    return { name, execution, status: 'SUCCEEDED', states, output };
  } catch (e) {
    await collect.catch(() => undefined);
    const cause = (e as { cause?: { name?: string; message?: string } }).cause;
    return { name, execution, status: 'FAILED', states, error: cause?.name ?? (e as Error).name, cause: cause?.message ?? (e as Error).message };
  }
}

import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { AlreadyExistsException, CreateDatabaseCommand, CreateTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { loadGoldContracts } from '../lambdas/shared/contracts';
import { goldDatasets, goldSqlText, publishedTableInput, renderGoldSql } from '../lambdas/shared/gold';
import { viewDdl } from '../lambdas/gold-views/handler';
import { datasetAsOfExpression } from '../lambdas/shared/quality';
import type { GateResult } from '../lambdas/orchestration/record';
import { glueDatabaseName, resourceName } from '../lib/naming';
import type { LocalAthena } from './athena-server';
import { startPlatformAthena } from './athena';
import { LOCAL_REGION, type LocalPlatform } from './platform';
import { executeLocally, synthesizedStateMachines, type ExecutionRecord, type LocalTask, type StateOutcome, type SynthesizedStateMachine } from './state-machine';

type Json = Parameters<LocalTask>[0];

/** What the gold-build state machine needs locally besides the emulator: the local Athena, Glue tables, the alert topic. */
export interface LocalOrchestration {
  readonly platform: LocalPlatform;
  readonly athena: LocalAthena;
  readonly glue: GlueClient;
  readonly sns: SNSClient;
  /** The alert topic (created in the emulator with the deployed name). */
  readonly topicArn: string;
  close(): Promise<void>;
}

/** SDK errors as Step Functions names them for a service integration (`Athena.TooManyRequestsException`). */
class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** An SDK output as a task result: plain JSON, without the SDK's response metadata. */
const taskResult = (out: object): Json => JSON.parse(JSON.stringify({ ...out, $metadata: undefined })) as Json;

const integrationError = (service: string, e: unknown) => new TaskError(`${service}.${(e as Error).name}`, (e as Error).message);

/**
 * Starts the local Athena over the emulator's silver bucket, creates the Gold database with its published
 * tables in the emulator's Glue (as the gold stack does) and the alert topic, and sets the environment the
 * orchestration and Gold build handlers read (as the stacks set it in AWS).
 */
export async function startLocalOrchestration(platform: LocalPlatform): Promise<LocalOrchestration> {
  const athena = await startPlatformAthena(platform);
  const aws = { endpoint: platform.emulator.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const glue = new GlueClient(aws);
  const sns = new SNSClient(aws);
  const { config } = platform;
  const databases = { silver: glueDatabaseName(config, 'silver'), gold: glueDatabaseName(config, 'gold'), ops: glueDatabaseName(config, 'ops') };
  const ignoreExisting = (e: unknown) => {
    if (!(e instanceof AlreadyExistsException)) throw e;
  };
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: databases.gold } })).catch(ignoreExisting);
  for (const contract of loadGoldContracts()) {
    await glue.send(new CreateTableCommand({ DatabaseName: databases.gold, TableInput: publishedTableInput(contract, platform.buckets.gold) })).catch(ignoreExisting);
  }
  // The Gold views, as the gold stack creates them at deploy time: builds of a dataset may read another.
  const client = new AthenaClient({ ...aws, endpoint: athena.endpoint });
  for (const dataset of goldDatasets()) {
    const sql = renderGoldSql(goldSqlText(dataset), { ...databases, as_of: datasetAsOfExpression(dataset, databases.silver, undefined) });
    const ddl = viewDdl({ RequestType: 'Create' }, { Database: databases.gold, ViewName: dataset, Sql: sql, WorkGroup: resourceName(config, 'analytics') });
    const { QueryExecutionId } = await client.send(new StartQueryExecutionCommand({ QueryString: ddl }));
    for (;;) {
      const status = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId }))).QueryExecution?.Status;
      if (status?.State === 'SUCCEEDED') break;
      if (status?.State === 'FAILED') throw new Error(`could not create the Gold view ${dataset} in the local Athena: ${status.StateChangeReason}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  client.destroy();
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: resourceName(config, 'alarms') }));
  Object.assign(process.env, platform.handlerEnv, {
    AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
    GOLD_BUCKET: platform.buckets.gold,
    SILVER_DATABASE: databases.silver,
    GOLD_DATABASE: databases.gold,
    OPS_DATABASE: databases.ops,
    WORKGROUP: resourceName(config, 'analytics'),
    BRONZE_BUCKET: platform.buckets.bronze,
    BRONZE_QUEUE_URL: platform.queueUrl,
  });
  return {
    platform,
    athena,
    glue,
    sns,
    topicArn: TopicArn!,
    close: async () => {
      glue.destroy();
      sns.destroy();
      await athena.close();
    },
  };
}

/** The gold-build handlers, run in-process. */
async function inProcess(): Promise<(fn: GoldBuildFunction, payload: Json) => Promise<Json>> {
  const handlers: Record<GoldBuildFunction, (event: never) => Promise<unknown>> = {
    plan: (await import('../lambdas/orchestration/plan')).handler,
    record: (await import('../lambdas/orchestration/record')).handler,
    build: (await import('../lambdas/gold-build/handler')).handler,
  };
  return async (fn, payload) => (await handlers[fn](payload as never)) as Json;
}

const synthesized: Record<string, { goldBuild: SynthesizedStateMachine; replay: SynthesizedStateMachine }> = {};

export interface GoldBuildRunOptions {
  /** Athena client the Athena tasks use. @default a client of the local Athena */
  readonly athena?: AthenaClient;
  /** Wait between retries instead of the deployed intervals (the backoff itself is tested in the definition). @default 10 ms */
  readonly retryIntervalMs?: number;
  readonly execution?: string;
  /** Called as each state ends (progress display). */
  readonly onState?: (outcome: StateOutcome) => void;
  /** Runs the Lambda tasks instead of the handlers in-process (the bundle smoke tests invoke the deployed bundles). */
  readonly invoke?: (fn: GoldBuildFunction, payload: Json) => Promise<Json>;
}

/** The Lambda functions the gold-build state machine invokes. */
export type GoldBuildFunction = 'plan' | 'record' | 'build';

export interface GoldBuildRun {
  readonly execution: ExecutionRecord;
  /** The quality gate's evaluation, when the execution got that far. */
  readonly gate?: GateResult;
}

/**
 * Executes the synthesized gold-build definition locally: Lambda tasks run the real handlers in-process,
 * Athena tasks (`.sync` and GetQueryResults) go to the local Athena through the real SDK client, SNS to
 * the emulator.
 */
export async function runGoldBuild(o: LocalOrchestration, input: Json, options: GoldBuildRunOptions = {}): Promise<GoldBuildRun> {
  const stage = o.platform.config.stage;
  synthesized[stage] ??= synthesizedStateMachines(o.platform.config);
  const { definition, functions } = synthesized[stage].goldBuild;
  const athena = options.athena ?? new AthenaClient({ endpoint: o.athena.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const invoke = options.invoke ?? (await inProcess());
  let gate: GateResult | undefined;
  const lambdas: Record<string, LocalTask> = {
    [functions.plan]: (payload) => invoke('plan', payload),
    [functions.record]: async (payload) => {
      const out = await invoke('record', payload);
      if ((payload as { action?: string }).action === 'results') gate = out as unknown as GateResult;
      return out;
    },
    [functions.build]: (payload) => invoke('build', payload),
  };
  const taskFor = (state: string, resource: string): LocalTask => {
    const fn = Object.keys(lambdas).find((id) => resource.endsWith(`:function:${id}`) || resource.includes(`:function:${id}Arn`));
    if (fn) return lambdas[fn];
    switch (resource) {
      case 'arn:aws:states:::athena:startQueryExecution.sync':
        return async (params) => {
          const started = await athena.send(new StartQueryExecutionCommand(params as never)).catch((e: unknown) => Promise.reject(integrationError('Athena', e)));
          for (;;) {
            const out = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: started.QueryExecutionId })).catch((e: unknown) => Promise.reject(integrationError('Athena', e)));
            const status = out.QueryExecution?.Status?.State;
            // As Step Functions: a query that ends FAILED or CANCELLED fails the task with States.TaskFailed.
            if (status === 'FAILED' || status === 'CANCELLED') throw new TaskError('States.TaskFailed', JSON.stringify(taskResult(out)));
            if (status === 'SUCCEEDED') return taskResult(out);
            await new Promise((r) => setTimeout(r, 20));
          }
        };
      case 'arn:aws:states:::athena:getQueryResults':
        return async (params) => {
          return taskResult(await athena.send(new GetQueryResultsCommand(params as never)).catch((e: unknown) => Promise.reject(integrationError('Athena', e))));
        };
      case 'arn:aws:states:::sns:publish':
        return async (params) => {
          return taskResult(await o.sns.send(new PublishCommand({ ...(params as object), TopicArn: o.topicArn } as never)).catch((e: unknown) => Promise.reject(integrationError('SNS', e))));
        };
      default:
        throw new Error(`state ${state}: no local implementation of ${resource}`);
    }
  };
  const execution = await executeLocally('gold-build', definition, input, taskFor, { retryIntervalMs: options.retryIntervalMs ?? 10, execution: options.execution, onState: options.onState });
  if (!options.athena) athena.destroy();
  return { execution, ...(gate ? { gate } : {}) };
}


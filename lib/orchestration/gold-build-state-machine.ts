import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import { QUALITY_RESULTS_PREFIX, RUNS_PREFIX, type RunRecord } from '../../lambdas/shared/quality';
import { PlatformFunction } from '../runtime/platform-function';
import { alertTask, failurePath } from './alert-task';
import { ScopedAthenaGetQueryResults, ScopedAthenaStartQueryExecution } from './athena-tasks';
import { checkQueryPolicies, checkResultPolicies } from './check-policies';
import type { PlatformData } from '../runtime/platform-data';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';


/** Errors of Athena's API that clear up when retried later. */
export const ATHENA_TRANSIENT_ERRORS = ['Athena.TooManyRequestsException', 'Athena.InternalServerException'];

export interface GoldBuildStateMachineProps {
  /** The contracts and Gold SQL folders synth read; the function's bundle carries exactly those files. */
  readonly data: PlatformData;
  /** Name of the state machine. */
  readonly stateMachineName: string;
  /** The source contracts: their quality rules are the gate's checks. */
  readonly contracts: readonly DatasetContract[];
  /** Names of the Glue databases the checks and builds read and write. */
  readonly databases: { readonly silver: string; readonly gold: string; readonly ops: string };
  /** Athena workgroup the checks run in. */
  readonly workGroup: string;
  /** Silver bucket: the check queries read it; quality results and run records are written under `_operations/`. */
  readonly silverBucket: IBucket;
  /** Athena results bucket of the workgroup (results under `results/`). */
  readonly resultsBucket: IBucket;
  /** Key of the silver and results buckets. */
  readonly encryptionKey: IKey;
  /** The Gold build function (`lambdas/gold-build`). */
  readonly buildFunction: IFunction;
  /** Where a blocking quality failure and any failed execution are announced. */
  readonly alertTopic: ITopic;
  /** Longest an execution may run; a 366-day backfill builds every dataset for every day. @default 12 hours */
  readonly timeout?: Duration;
  /** Check queries run at once. @default 4 */
  readonly checkConcurrency?: number;
}

/**
 * The gold-build state machine: plan the quality checks from the contracts, run each as an Athena query
 * (`.sync`), evaluate and persist the results, then build Gold for each as-of date and record the run.
 * A failed blocking check blocks only the requested Gold datasets that read its source, directly or through
 * other Gold datasets: the others are built and published, then the execution alerts naming each blocked
 * dataset with the checks that block it, records a PARTIAL run and fails (`QualityGateFailed`). When every
 * requested dataset is blocked nothing is built: alert, BLOCKED run record, `QualityGateFailed`.
 */
export class GoldBuildStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly planFunction: PlatformFunction;
  readonly recordFunction: PlatformFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GoldBuildStateMachineProps) {
    super(scope, id);
    const { databases } = props;
    this.planFunction = new PlatformFunction(this, 'Plan', {
      source: PLATFORM_FUNCTIONS.plan,
      description: 'gold-build: validates the request and plans the quality checks from the contracts',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: { SILVER_DATABASE: databases.silver, OPS_DATABASE: databases.ops, CONTRACTS_DIR: '/var/task/contracts', SQL_DIR: '/var/task/sql' },
      bundledData: { data: props.data, parts: ['contracts', 'sql'] },
    });
    this.recordFunction = new PlatformFunction(this, 'Record', {
      source: PLATFORM_FUNCTIONS.record,
      description: 'gold-build: evaluates and persists the quality results, writes the run record',
      memorySize: 256,
      timeout: Duration.seconds(60),
      environment: { OPERATIONS_BUCKET: props.silverBucket.bucketName, METRICS_NAMESPACE },
    });
    props.silverBucket.grantPut(this.recordFunction, `${QUALITY_RESULTS_PREFIX}*`);
    props.silverBucket.grantPut(this.recordFunction, `${RUNS_PREFIX}*`);
    props.encryptionKey.grantEncrypt(this.recordFunction);

    const checkPolicies = checkQueryPolicies(this, props);
    const resultsPolicies = checkResultPolicies(this, props);
    const athenaRetry = { errors: ATHENA_TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL };

    // The run record of an execution, whatever its outcome: the record function reads the whole state.
    const recordRunTask = (id: string, status: RunRecord['status'], resultPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.recordFunction,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject({ action: 'run', status, execution: sfn.JsonPath.executionName, startedAt: sfn.JsonPath.executionStartTime, state: sfn.JsonPath.entirePayload }),
        resultPath,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(90)),
      });
    // Failure path: alert, record the run, fail. Every task and Map state is caught into it.
    const { start: failure, catchProps: catchAll } = failurePath(this, {
      topic: props.alertTopic,
      stateMachineName: props.stateMachineName,
      error: 'GoldBuildFailed',
      failId: 'GoldBuildFailed',
      record: recordRunTask('RecordFailedRun', 'FAILED', sfn.JsonPath.DISCARD),
    });

    const plan = new tasks.LambdaInvoke(this, 'PlanChecks', {
      lambdaFunction: this.planFunction,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ request: sfn.JsonPath.entirePayload, startedAt: sfn.JsonPath.executionStartTime }),
      resultPath: '$.plan',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    plan.addCatch(failure, catchAll);

    const startQuery = new ScopedAthenaStartQueryExecution(this, 'StartCheckQuery', {
      queryString: sfn.JsonPath.stringAt('$.sql'),
      queryExecutionContext: { databaseName: databases.silver },
      workGroup: props.workGroup,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resultSelector: { id: sfn.JsonPath.stringAt('$.QueryExecution.QueryExecutionId') },
      resultPath: '$.query',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(30)),
      policies: checkPolicies,
    });
    startQuery.addRetry(athenaRetry);
    // A query that ends FAILED (e.g. Athena's transient "exhausted resources") is run again once.
    startQuery.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 1 });
    const getResult = new ScopedAthenaGetQueryResults(this, 'GetCheckResult', {
      queryExecutionId: sfn.JsonPath.stringAt('$.query.id'),
      maxResults: 2,
      resultSelector: { cell: sfn.JsonPath.objectAt('$.ResultSet.Rows[1].Data[0]') },
      resultPath: '$.result',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
      policies: resultsPolicies,
    });
    getResult.addRetry(athenaRetry);
    const runChecks = new sfn.Map(this, 'RunChecks', {
      itemsPath: '$.plan.checks',
      itemSelector: { id: sfn.JsonPath.stringAt('$$.Map.Item.Value.id'), sql: sfn.JsonPath.stringAt('$$.Map.Item.Value.sql') },
      maxConcurrency: props.checkConcurrency ?? 4,
      resultPath: '$.cells',
    });
    runChecks.itemProcessor(startQuery.next(getResult));
    runChecks.addCatch(failure, catchAll);

    const evaluate = new tasks.LambdaInvoke(this, 'EvaluateChecks', {
      lambdaFunction: this.recordFunction,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        action: 'results',
        execution: sfn.JsonPath.executionName,
        asOf: sfn.JsonPath.stringAt('$.plan.asOf'),
        checks: sfn.JsonPath.listAt('$.plan.checks'),
        cells: sfn.JsonPath.listAt('$.cells'),
        datasets: sfn.JsonPath.listAt('$.plan.datasets'),
        lineage: sfn.JsonPath.listAt('$.plan.lineage'),
        builds: sfn.JsonPath.listAt('$.plan.builds'),
      }),
      resultPath: '$.gate',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(90)),
    });
    evaluate.addCatch(failure, catchAll);

    // A blocking check failed: the execution ends in QualityGateFailed, its cause the gate's message (each
    // blocked dataset with the checks that block it), after the alert and the run record.
    const blocked = new sfn.Fail(this, 'QualityGateFailed', { error: 'QualityGateFailed', causePath: sfn.JsonPath.stringAt('$.gate.message') });
    const alertGate = (id: string, subject: string) => {
      const alert = alertTask(this, id, { topic: props.alertTopic, subject: `${props.stateMachineName}: ${subject}`, message: sfn.TaskInput.fromJsonPathAt('$.gate.message') });
      alert.addCatch(failure, catchAll);
      return alert;
    };
    // Every requested dataset blocked: nothing is built.
    const alertBlocked = alertGate('AlertGateFailed', 'quality gate failed, Gold not published');
    const recordBlocked = recordRunTask('RecordBlockedRun', 'BLOCKED', sfn.JsonPath.DISCARD);
    recordBlocked.addCatch(blocked, { resultPath: '$.recordError' });
    // Some blocked: the others were built and published first.
    const alertPartial = alertGate('AlertDatasetsBlocked', 'quality gate failed, some Gold datasets not published');
    const recordPartial = recordRunTask('RecordPartialRun', 'PARTIAL', sfn.JsonPath.DISCARD);
    recordPartial.addCatch(blocked, { resultPath: '$.recordError' });

    const buildAsOf = new tasks.LambdaInvoke(this, 'BuildAsOf', {
      lambdaFunction: props.buildFunction,
      // The item (`{datasets?, asOf?}`) is the whole payload.
      payloadResponseOnly: true,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(16)),
    });
    // Each build writes a fresh prefix and switches the partition in one call: running it again is safe.
    buildAsOf.addRetry({ errors: ['Error', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 2, jitterStrategy: sfn.JitterType.FULL });
    // The planned builds of the datasets no failed check blocks.
    const buildGold = new sfn.Map(this, 'BuildGold', { itemsPath: '$.gate.builds', maxConcurrency: 1, resultPath: '$.builds' });
    buildGold.itemProcessor(buildAsOf);
    buildGold.addCatch(failure, catchAll);

    const recordRun = recordRunTask('RecordRun', 'SUCCEEDED', '$.run');
    recordRun.addCatch(failure, catchAll);

    const afterBuilds = new sfn.Choice(this, 'AnyDatasetBlocked')
      .when(sfn.Condition.booleanEquals('$.gate.passed', false), alertPartial.next(recordPartial).next(blocked))
      .otherwise(recordRun.next(new sfn.Succeed(this, 'Published')));
    const gate = new sfn.Choice(this, 'AnythingToBuild')
      .when(sfn.Condition.booleanEquals('$.gate.buildable', false), alertBlocked.next(recordBlocked).next(blocked))
      .otherwise(buildGold.next(afterBuilds));

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      comment: 'Quality gate from the data contracts, then Gold builds for the requested as-of date or range, then a run record',
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(runChecks).next(evaluate).next(gate)),
      timeout: props.timeout ?? Duration.hours(12),
      tracingEnabled: true,
      // Level ALL records every state transition and error. Execution data (inputs and outputs) stays off:
      // it would copy check values and the Gold build locations into the logs for no diagnostic gain, since
      // results and run records are persisted to the operations tables.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    props.alertTopic.grantPublish(this.stateMachine);

    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Check queries read the objects of each contract dataset prefix and the run manifests in silver and write results under results/ (object names known only at run time); the record function writes only under _operations/quality/ and _operations/runs/; Lambda invocations of the exact functions with any version suffix; X-Ray and log delivery need Resource *.',
          appliesTo: [
            'Action::s3:Abort*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*',
            { regex: '/^Resource::.*(Silver|AthenaResults)[0-9A-F]{8}.*\\/(results|_operations\\/(quality|runs|manifests)|[a-z_]+)\\/\\*$/g' },
            { regex: '/^Resource::<.*(Plan|Record|GoldBuildFunction)[0-9A-F]{8}\\.Arn>:\\*$/g' },
            // The Gold build function of the gold stack, referenced across stacks.
            { regex: '/^Resource::\\{"Fn::GetStackOutput":.*GoldBuildFunction[0-9A-F]{8}Arn.*\\}:\\*$/g' },
          ],
        },
      ],
      true,
    );
  }
}

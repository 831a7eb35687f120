import { Stack, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import type { StageConfig } from '../config/stage-config';
import { glueDatabaseName, resourceName } from '../naming';
import { GoldBuildStateMachine } from './gold-build-state-machine';
import { OperationsTables } from './operations-tables';
import { ReplayStateMachine } from './replay-state-machine';
import type { PlatformData } from '../runtime/platform-data';
import { pinFeatureFlags } from '../feature-flags';
import { dependOnOwners, type PlatformCatalog, type PlatformStorage } from '../platform-resources';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface OrchestrationStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  /** The stage's settings (names, schedule). */
  readonly config: StageConfig;
  /** The source contracts: their quality rules are the gate's checks. */
  readonly contracts: readonly DatasetContract[];
  /** The buckets the state machines read and write (bronze for replays, silver for the operations tables, Athena results), the bronze queue replays send to, and their key. */
  readonly storage: Pick<PlatformStorage, 'key' | 'bronze' | 'silver' | 'athenaResults' | 'bronzeQueue'>;
  /** The Glue databases and the Athena workgroup the checks run in. */
  readonly catalog: PlatformCatalog;
  /** The function that builds and publishes one Gold dataset (GoldStack's `build.function`). */
  readonly goldBuildFunction: lambda.IFunction;
  /** Topic receiving blocked quality gates and failed executions (the platform's alarm topic). */
  readonly alertTopic: ITopic;
}

/**
 * The batch flow: the gold-build state machine (quality gate, then Gold) on a daily EventBridge Scheduler
 * schedule and on demand, the replay state machine, and the operations tables they fill.
 */
export class OrchestrationStack extends Stack {
  readonly goldBuild: sfn.StateMachine;
  readonly replay: sfn.StateMachine;
  readonly goldBuildFlow: GoldBuildStateMachine;
  readonly replayFlow: ReplayStateMachine;
  readonly operationsTables: OperationsTables;
  readonly schedule: scheduler.Schedule;
  readonly alertTopic: ITopic;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, storage, catalog } = props;
    dependOnOwners(this, storage.key, storage.bronze, storage.silver, storage.athenaResults, storage.bronzeQueue, catalog.workgroup, ...Object.values(catalog.databases), props.goldBuildFunction);
    const databases = { silver: glueDatabaseName(config, 'silver'), gold: glueDatabaseName(config, 'gold'), ops: glueDatabaseName(config, 'ops') };
    this.alertTopic = props.alertTopic;
    this.operationsTables = new OperationsTables(this, 'OperationsTables', { database: databases.ops, bucket: storage.silver });
    this.goldBuildFlow = new GoldBuildStateMachine(this, 'GoldBuild', {
      data: props.data,
      stateMachineName: resourceName(config, 'gold-build'),
      contracts: props.contracts,
      databases,
      workGroup: catalog.workgroup.name,
      silverBucket: storage.silver,
      resultsBucket: storage.athenaResults,
      encryptionKey: storage.key,
      buildFunction: props.goldBuildFunction,
      alertTopic: props.alertTopic,
    });
    this.goldBuild = this.goldBuildFlow.stateMachine;
    this.replayFlow = new ReplayStateMachine(this, 'Replay', {
      data: props.data,
      stateMachineName: resourceName(config, 'replay'),
      bronzeBucket: storage.bronze,
      queue: storage.bronzeQueue,
      goldBuild: this.goldBuild,
      alertTopic: props.alertTopic,
    });
    this.replay = this.replayFlow.stateMachine;
    this.schedule = new scheduler.Schedule(this, 'DailyGoldBuild', {
      description: 'Starts gold-build (quality gate, then Gold for the latest data)',
      schedule: scheduler.ScheduleExpression.expression(config.orchestration.scheduleExpression),
      target: new targets.StepFunctionsStartExecution(this.goldBuild, { input: scheduler.ScheduleTargetInput.fromObject({}) }),
    });
  }
}

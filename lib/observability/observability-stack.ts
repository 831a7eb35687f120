import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import type { StageConfig } from '../config/stage-config';
import { dashboardName } from '../naming';
import { PlatformAlarms } from './platform-alarms';
import { PlatformDashboard } from './platform-dashboard';
import { qualityChecksFailed, qualityGateBlocked } from './platform-metrics';
import { pinFeatureFlags } from '../feature-flags';
import type { PlatformCatalog, PlatformStorage } from '../platform-resources';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';

export interface ObservabilityStackProps extends StackProps {
  /** The stage's settings (names, alarm thresholds). */
  readonly config: StageConfig;
  /** The source contracts: a panel per dataset, a freshness alarm per freshness SLA. */
  readonly contracts: readonly DatasetContract[];
  /** The bronze notification queues to graph and alarm on. */
  readonly storage: Pick<PlatformStorage, 'bronzeQueue' | 'bronzeDeadLetterQueue'>;
  /** The Athena workgroup to graph. */
  readonly catalog: Pick<PlatformCatalog, 'workgroup'>;
  /** The transform function to graph and alarm on. */
  readonly transformFunction: lambda.IFunction;
  /** The topic every alarm notifies. */
  readonly alarmTopic: ITopic;
  /** State machines to graph and alarm on, by name. @default none */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** The HTTP API to graph. @default none */
  readonly api?: apigateway.RestApi;
}

/** The platform's CloudWatch dashboard and the alarms that need a human, to the one alarm topic. */
export class ObservabilityStack extends Stack {
  readonly dashboard: PlatformDashboard;
  readonly alarms: PlatformAlarms;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, storage } = props;
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      dashboardName: dashboardName(config, this.region),
      contracts: props.contracts,
      transformFunction: props.transformFunction,
      queue: storage.bronzeQueue,
      deadLetterQueue: storage.bronzeDeadLetterQueue,
      workGroup: props.catalog.workgroup.name,
      stateMachines: props.stateMachines,
      api: props.api,
    });
    this.alarms = new PlatformAlarms(this, 'Alarms', {
      config,
      topic: props.alarmTopic,
      transformFunction: props.transformFunction,
      stateMachines: props.stateMachines,
      api: props.api,
    });
    if (props.stateMachines?.['gold-build']) {
      this.alarms.add('QualityGateBlocked', {
        name: 'quality-gate-blocked',
        description: 'A blocking quality check failed: the Gold datasets reading its source were not published (the others were); the alert e-mail and the runs and quality_results tables name the blocked datasets, checks and values (runbook: docs/operations.md)',
        metric: qualityGateBlocked(),
        threshold: 0,
      });
      for (const contract of props.contracts.filter((c) => c.sla.freshness)) {
        this.alarms.add(`Freshness-${contract.name}`, {
          name: `freshness-${contract.name}`,
          description: `The newest ${contract.name} event is older than the contract's freshness SLA: check that the producer still delivers (runbook: docs/operations.md)`,
          metric: qualityChecksFailed(contract.name, 'freshness'),
          threshold: 0,
        });
      }
    }
  }
}

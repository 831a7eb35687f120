import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import type { CatalogStack } from '../catalog/catalog-stack';
import type { StageConfig } from '../config/stage-config';
import { dashboardName } from '../naming';
import type { StorageStack } from '../storage/storage-stack';
import type { TransformStack } from '../transform/transform-stack';
import { PlatformAlarms } from './platform-alarms';
import { PlatformDashboard } from './platform-dashboard';
import { qualityChecksFailed, qualityGateBlocked } from './platform-metrics';
import { pinFeatureFlags } from '../feature-flags';

export interface ObservabilityStackProps extends StackProps {
  readonly config: StageConfig;
  readonly contracts: readonly DatasetContract[];
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  /** The transform, and the alarm topic every alarm notifies. */
  readonly transform: TransformStack;
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
    const { config, storage, transform } = props;
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      dashboardName: dashboardName(config, this.region),
      contracts: props.contracts,
      transformFunction: transform.pipeline.function,
      queue: storage.bronzeNotifications.queue,
      deadLetterQueue: storage.bronzeNotifications.deadLetterQueue,
      workGroup: props.catalog.workgroup.name,
      stateMachines: props.stateMachines,
      api: props.api,
    });
    this.alarms = new PlatformAlarms(this, 'Alarms', {
      config,
      topic: transform.alarmTopic,
      transformFunction: transform.pipeline.function,
      stateMachines: props.stateMachines,
      api: props.api,
    });
    if (props.stateMachines?.['gold-build']) {
      this.alarms.add('QualityGateBlocked', {
        name: 'quality-gate-blocked',
        description: 'A blocking quality check failed: the Gold datasets reading its source were not published (the others were); the alert e-mail and the runs and quality_results tables name the blocked datasets, checks and values (README runbook)',
        metric: qualityGateBlocked(),
        threshold: 0,
      });
      for (const contract of props.contracts.filter((c) => c.sla.freshness)) {
        this.alarms.add(`Freshness-${contract.name}`, {
          name: `freshness-${contract.name}`,
          description: `The newest ${contract.name} event is older than the contract's freshness SLA: check that the producer still delivers (README runbook)`,
          metric: qualityChecksFailed(contract.name, 'freshness'),
          threshold: 0,
        });
      }
    }
  }
}

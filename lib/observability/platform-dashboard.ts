import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import { FILE_STATUSES } from '../../lambdas/shared/manifest';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import { athenaBytesScanned, PLATFORM_METRIC_PERIOD, qualityGateBlocked, quarantineRatio, transformTotal } from './platform-metrics';

export interface PlatformDashboardProps {
  /** Name of the CloudWatch dashboard. */
  readonly dashboardName: string;
  /** Source contracts: one quarantine-ratio line per dataset. */
  readonly contracts: readonly DatasetContract[];
  /** The bronze → silver transform function. */
  readonly transformFunction: lambda.IFunction;
  /** The bronze notification queue and its dead-letter queue. */
  readonly queue: IQueue;
  /** Dead-letter queue of the bronze notifications (messages that failed every receive). */
  readonly deadLetterQueue: IQueue;
  /** The Athena workgroup the platform queries through. */
  readonly workGroup: string;
  /** State machines whose outcomes are graphed, by display name. @default none */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** The HTTP API whose errors and latency are graphed. @default none */
  readonly api?: apigateway.RestApi;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the platform: files and rows by status, quarantine ratio by dataset,
 * transform duration and errors, the bronze queues, state machine outcomes and the quality gate, API
 * errors and latency, and Athena bytes scanned.
 */
export class PlatformDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    const fn = props.transformFunction;
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: PLATFORM_METRIC_PERIOD, ...options });
    const rows: cloudwatch.IWidget[][] = [
      [
        graph('Files by status (all datasets)', FILE_STATUSES.map((s) => transformTotal(`files_${s}`, s)), { stacked: true }),
        graph('Rows (all datasets)', [transformTotal('rows_in', 'in'), transformTotal('rows_valid', 'valid'), transformTotal('rows_quarantined', 'quarantined')]),
        graph('Quarantine ratio by dataset (%)', props.contracts.map((c, i) => quarantineRatio(c.name, i)), { leftYAxis: { min: 0, max: 100, showUnits: false } }),
      ],
      [
        graph('Transform duration per file (ms, slowest dataset)', [
          transformTotal('transform_duration', 'p50', { reduce: 'MAX', statistic: 'p50' }),
          transformTotal('transform_duration', 'p99', { reduce: 'MAX', statistic: 'p99' }),
        ]),
        graph('Transform invocations, errors, throttles', [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()]),
        graph('Bronze queues', [
          props.queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting', statistic: 'Maximum' }),
          props.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', statistic: 'Maximum' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'dead-letter queue', statistic: 'Maximum' }),
        ]),
      ],
    ];
    const third: cloudwatch.IWidget[] = [];
    const machines = Object.entries(props.stateMachines ?? {});
    if (machines.length > 0) {
      third.push(
        graph(
          'State machine executions',
          machines.flatMap(([name, sm]) => [
            sm.metricSucceeded({ label: `${name} succeeded` }),
            sm.metricFailed({ label: `${name} failed` }),
            sm.metricTimedOut({ label: `${name} timed out` }),
          ]),
        ),
        graph('Quality gate', [
          qualityGateBlocked(),
          new cloudwatch.MathExpression({
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},check,dataset,service} service="quality" MetricName="quality_checks_failed"', 'Sum', ${PLATFORM_METRIC_PERIOD.toSeconds()}))`,
            label: 'checks not passed',
            period: PLATFORM_METRIC_PERIOD,
          }),
        ]),
      );
    }
    if (props.api) {
      third.push(
        graph('API requests and errors', [props.api.metricCount({ label: 'requests' }), props.api.metricClientError({ label: '4xx' }), props.api.metricServerError({ label: '5xx' })]),
        graph('API latency (ms)', [props.api.metricLatency({ statistic: 'p50', label: 'p50' }), props.api.metricLatency({ statistic: 'p99', label: 'p99' })]),
      );
    }
    third.push(graph('Athena bytes scanned', [athenaBytesScanned(props.workGroup)]));
    // Three graphs per row (24 grid columns).
    for (let i = 0; i < third.length; i += 3) rows.push(third.slice(i, i + 3));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: rows,
    });
  }
}

import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';
import { PLATFORM_METRIC_PERIOD } from './platform-metrics';

export interface PlatformAlarmsProps {
  /** The stage's settings: alarm names. */
  readonly config: StageConfig;
  /** The one topic every alarm notifies (e-mail from the stage config). */
  readonly topic: sns.ITopic;
  /** The bronze → silver transform function. */
  readonly transformFunction: lambda.IFunction;
  /** Alarm when more than this percentage of transform invocations fail in a 5-minute period. @default 5 */
  readonly transformErrorRatePercent?: number;
  /** State machines whose failed or timed-out executions raise an alarm, by name. @default none */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** The HTTP API: alarm when more than `apiServerErrorRatePercent` of its requests fail with 5xx. @default none */
  readonly api?: apigateway.RestApi;
  /** @default 5 */
  readonly apiServerErrorRatePercent?: number;
}

/**
 * The alarms that need a human, all to one SNS topic: transform error rate, API 5xx rate and failed
 * state machine executions here, others (quality gates, freshness) with `add`. The dead-letter queue alarm belongs to the
 * transform pipeline and notifies the same topic.
 */
export class PlatformAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: cloudwatchActions.SnsAction;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    this.config = props.config;
    this.action = new cloudwatchActions.SnsAction(props.topic);
    const fn = props.transformFunction;
    const percent = props.transformErrorRatePercent ?? 5;
    this.add('TransformErrorRate', {
      name: 'transform-error-rate',
      description: `More than ${percent}% of transform invocations failed in 5 minutes: read the transform's error logs; failed files are retried and then go to the dead-letter queue (runbook: docs/operations.md)`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
        usingMetrics: { errors: fn.metricErrors({ period: PLATFORM_METRIC_PERIOD }), invocations: fn.metricInvocations({ period: PLATFORM_METRIC_PERIOD }) },
        label: 'transform error rate (%)',
        period: PLATFORM_METRIC_PERIOD,
      }),
      threshold: percent,
    });
    if (props.api) {
      const apiPercent = props.apiServerErrorRatePercent ?? 5;
      this.add('ApiServerErrorRate', {
        name: 'api-5xx-rate',
        description: `More than ${apiPercent}% of API requests failed with a 5xx in 5 minutes: read the query and ingest functions' error logs and the API access log (runbook: docs/operations.md)`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * serverErrors / requests, 0)',
          usingMetrics: { serverErrors: props.api.metricServerError({ period: PLATFORM_METRIC_PERIOD }), requests: props.api.metricCount({ period: PLATFORM_METRIC_PERIOD }) },
          label: 'API 5xx rate (%)',
          period: PLATFORM_METRIC_PERIOD,
        }),
        threshold: apiPercent,
      });
    }
    for (const [name, sm] of Object.entries(props.stateMachines ?? {})) {
      this.add(`${name}Failed`, {
        name: `${name}-failed`,
        description: `A ${name} execution failed or timed out: open the execution in the Step Functions console; its failed state names the cause (runbook: docs/operations.md)`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut',
          usingMetrics: { failed: sm.metricFailed({ period: PLATFORM_METRIC_PERIOD }), timedOut: sm.metricTimedOut({ period: PLATFORM_METRIC_PERIOD }) },
          label: `${name} failed executions`,
          period: PLATFORM_METRIC_PERIOD,
        }),
        threshold: 0,
      });
    }
  }

  /** An alarm to the platform topic when `metric` is above `threshold` in one period (missing data is not breaching). */
  add(id: string, spec: { name: string; description: string; metric: cloudwatch.IMetric; threshold: number }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: resourceName(this.config, spec.name),
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}

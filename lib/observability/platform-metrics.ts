import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';

/** Period of every dashboard graph and alarm of the platform. */
export const PLATFORM_METRIC_PERIOD = Duration.minutes(5);

/** One of the transform's per-dataset metrics (published by Powertools with `service` and `dataset`). */
export function transformMetric(name: string, dataset: string, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: 'transform', dataset },
    statistic,
    period: PLATFORM_METRIC_PERIOD,
    label: dataset,
  });
}

/**
 * A transform metric over every dataset that has published it, including datasets added after
 * deployment (a CloudWatch SEARCH expression, so the dashboard needs no change when a contract is
 * added): summed by default, or the maximum of a statistic such as `p99`.
 */
export function transformTotal(name: string, label: string = name, options: { reduce?: 'SUM' | 'MAX'; statistic?: string } = {}): cloudwatch.MathExpression {
  const search = `SEARCH('{${METRICS_NAMESPACE},dataset,service} service="transform" MetricName="${name}"', '${options.statistic ?? 'Sum'}', ${PLATFORM_METRIC_PERIOD.toSeconds()})`;
  return new cloudwatch.MathExpression({ expression: `${options.reduce ?? 'SUM'}(${search})`, label, period: PLATFORM_METRIC_PERIOD });
}

/**
 * Percentage of the input rows of a dataset that went to quarantine. `index` keeps the metric ids of
 * several datasets distinct within one graph.
 */
export function quarantineRatio(dataset: string, index = 0): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `100 * IF(rowsIn${index} > 0, quarantined${index} / rowsIn${index}, 0)`,
    usingMetrics: { [`quarantined${index}`]: transformMetric('rows_quarantined', dataset), [`rowsIn${index}`]: transformMetric('rows_in', dataset) },
    label: dataset,
    period: PLATFORM_METRIC_PERIOD,
  });
}

/**
 * Athena bytes scanned by the platform's workgroup. Athena publishes the metric (when the workgroup
 * enables metrics) per query state and type, so the workgroup's series are summed.
 */
export function athenaBytesScanned(workGroup: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('{AWS/Athena,QueryState,QueryType,WorkGroup} WorkGroup="${workGroup}" MetricName="ProcessedBytes"', 'Sum', ${PLATFORM_METRIC_PERIOD.toSeconds()}))`,
    label: 'bytes scanned',
    period: PLATFORM_METRIC_PERIOD,
  });
}

/** Whether a gold-build quality gate blocked Gold (1) or passed (0), per evaluation. */
export function qualityGateBlocked(): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'quality_gate_blocked',
    dimensionsMap: { service: 'quality' },
    statistic: 'Maximum',
    period: PLATFORM_METRIC_PERIOD,
    label: 'gate blocked',
  });
}

/** Checks of one kind (`freshness`, `nulls`, …) that did not pass for a dataset, per gate evaluation. */
export function qualityChecksFailed(dataset: string, kind: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'quality_checks_failed',
    dimensionsMap: { service: 'quality', dataset, check: kind },
    statistic: 'Sum',
    period: PLATFORM_METRIC_PERIOD,
    label: `${dataset} ${kind}`,
  });
}

/** CloudWatch namespace of the platform's own metrics (dimensions: `service`, and `dataset` where there is one). */
export const METRICS_NAMESPACE = 'MedallionPlatform';

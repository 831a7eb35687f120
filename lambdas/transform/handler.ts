import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { s3Client } from '../shared/aws-clients';
import { loadContracts } from '../shared/contracts';
import { METRICS_NAMESPACE } from '../shared/metrics';
import { transformSettings } from './environment';
import { piiPads } from './pii-key';
import { processObject, type TransformDeps } from './process-object';
import { objectsOf } from './s3-event';

const logger = new Logger({ serviceName: 'medallion-transform' });
const metrics = new Metrics({ namespace: process.env.METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: 'transform' });

let deps: TransformDeps | undefined;
function dependencies(): TransformDeps {
  deps ??= {
    s3: s3Client(),
    contracts: new Map(loadContracts().map((c) => [c.name, c])),
    settings: transformSettings(),
    piiPads,
  };
  return deps;
}

async function processRecord(record: SQSRecord): Promise<void> {
  for (const ref of objectsOf(record.body)) {
    const manifest = await processObject(ref, dependencies()).catch((e: Error) => {
      logger.error('processing failed; the message will be retried', { key: ref.key, bucket: ref.bucket, error: e });
      throw e;
    });
    if (!manifest) {
      logger.info('ignored: a folder marker, not a file', { key: ref.key });
      continue;
    }
    logger.info('processed', { ...manifest, reasons: manifest.reasons });
    metrics.addDimensions({ dataset: manifest.dataset ?? 'none' });
    metrics.addMetric(`files_${manifest.status}`, MetricUnit.Count, 1);
    metrics.addMetric('rows_in', MetricUnit.Count, manifest.rows_in);
    metrics.addMetric('rows_valid', MetricUnit.Count, manifest.rows_valid);
    metrics.addMetric('rows_quarantined', MetricUnit.Count, manifest.rows_quarantined);
    metrics.addMetric('transform_duration', MetricUnit.Milliseconds, manifest.duration_ms);
    metrics.publishStoredMetrics();
  }
}

/**
 * SQS-triggered transform: one message per bronze notification. Messages whose processing throws (S3 or
 * engine failures) are reported as batch item failures and retried; the others are acknowledged.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(event, processRecord, processor, { context, processInParallel: false });
}

import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { QUALITY_RESULT_COLUMNS, QUALITY_RESULTS_PREFIX, RUN_COLUMNS, RUNS_PREFIX } from '../../lambdas/shared/quality';

export interface OperationsTablesProps {
  /** The operations Glue database (`<prefix>_<stage>_ops`). */
  readonly database: string;
  /** Bucket holding `_operations/` (silver). */
  readonly bucket: IBucket;
}

/** Glue tables over what the orchestration writes: `quality_results` (one line per check and run) and `runs`. */
export class OperationsTables extends Construct {
  readonly qualityResults: glue.CfnTable;
  readonly runs: glue.CfnTable;

  constructor(scope: Construct, id: string, props: OperationsTablesProps) {
    super(scope, id);
    const table = (tableId: string, name: string, description: string, prefix: string, columns: readonly (readonly [string, string])[]) =>
      new glue.CfnTable(this, tableId, {
        catalogId: Stack.of(this).account,
        databaseName: props.database,
        tableInput: {
          name,
          description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'json', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            location: `s3://${props.bucket.bucketName}/${prefix}`,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            columns: columns.map(([n, type]) => ({ name: n, type })),
            serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          },
        },
      });
    this.qualityResults = table('QualityResults', 'quality_results', 'One line per quality check and gold-build execution: dataset, check, severity, status, value, threshold', QUALITY_RESULTS_PREFIX, QUALITY_RESULT_COLUMNS);
    this.runs = table('Runs', 'runs', 'One record per gold-build execution: status, request, checks failed and warned, Gold builds published', RUNS_PREFIX, RUN_COLUMNS);
  }
}

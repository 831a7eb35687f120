import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { cfnTableInput, qualityResultsTableInput, runsTableInput, type TableInput } from '../catalog/table-inputs';

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
    const table = (tableId: string, tableInput: TableInput) =>
      new glue.CfnTable(this, tableId, { catalogId: Stack.of(this).account, databaseName: props.database, tableInput: cfnTableInput(tableInput) });
    this.qualityResults = table('QualityResults', qualityResultsTableInput(props.bucket.bucketName));
    this.runs = table('Runs', runsTableInput(props.bucket.bucketName));
  }
}

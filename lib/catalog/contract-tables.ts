import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import { bronzeTableInput, cfnTableInput, silverTableInput } from './table-inputs';

export interface ContractTablesProps {
  /** The source contract the tables are made from. */
  readonly contract: DatasetContract;
  /** Glue database of the bronze table. */
  readonly bronzeDatabase: glue.CfnDatabase;
  /** Glue database of the silver table. */
  readonly silverDatabase: glue.CfnDatabase;
  /** Bucket holding the dataset's raw files (`<dataset>/` prefix). */
  readonly bronzeBucket: IBucket;
  /** Bucket holding the dataset's Parquet files (`<dataset>/dt=…/`). */
  readonly silverBucket: IBucket;
  /** First day of the silver partition projection, YYYY-MM-DD. */
  readonly projectionStartDate: string;
  /** Days after now the projection reaches (the transform's future horizon). */
  readonly futureHorizonDays: number;
}

/**
 * The Glue tables of one source dataset, generated from its contract (no crawler): a bronze table over the
 * raw files as delivered and a silver Parquet table partitioned by event date with Athena partition
 * projection, so no partition is ever registered. Their definitions are `bronzeTableInput` and
 * `silverTableInput`, which the local platform also creates in the emulator's Glue.
 */
export class ContractTables extends Construct {
  readonly bronzeTable: glue.CfnTable;
  readonly silverTable: glue.CfnTable;

  constructor(scope: Construct, id: string, props: ContractTablesProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.bronzeTable = new glue.CfnTable(this, 'Bronze', {
      catalogId,
      databaseName: props.bronzeDatabase.ref,
      tableInput: cfnTableInput(bronzeTableInput(props.contract, props.bronzeBucket.bucketName)),
    });
    this.silverTable = new glue.CfnTable(this, 'Silver', {
      catalogId,
      databaseName: props.silverDatabase.ref,
      tableInput: cfnTableInput(silverTableInput(props.contract, props.silverBucket.bucketName, props)),
    });
  }
}

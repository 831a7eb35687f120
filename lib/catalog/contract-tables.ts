import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PARTITION_COLUMN, type DatasetContract } from '../../lambdas/shared/contracts';
import { bronzeColumns, silverColumns } from './table-columns';

export interface ContractTablesProps {
  readonly contract: DatasetContract;
  readonly bronzeDatabase: glue.CfnDatabase;
  readonly silverDatabase: glue.CfnDatabase;
  readonly bronzeBucket: IBucket;
  readonly silverBucket: IBucket;
  /** First day of the silver partition projection, YYYY-MM-DD. */
  readonly projectionStartDate: string;
  /** Days after now the projection reaches (the transform's future horizon). */
  readonly futureHorizonDays: number;
}

const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const TEXT_OUTPUT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

/**
 * The Glue tables of one source dataset, generated from its contract (no crawler): a bronze table over the
 * raw files as delivered and a silver Parquet table partitioned by event date with Athena partition
 * projection, so no partition is ever registered.
 */
export class ContractTables extends Construct {
  readonly bronzeTable: glue.CfnTable;
  readonly silverTable: glue.CfnTable;

  constructor(scope: Construct, id: string, props: ContractTablesProps) {
    super(scope, id);
    const { contract } = props;
    const catalogId = Stack.of(this).account;
    const bronzeLocation = `s3://${props.bronzeBucket.bucketName}/${contract.name}/`;
    const silverLocation = `s3://${props.silverBucket.bucketName}/${contract.name}/`;

    this.bronzeTable = new glue.CfnTable(this, 'Bronze', {
      catalogId,
      databaseName: props.bronzeDatabase.ref,
      tableInput: {
        name: contract.name,
        description: `Raw ${contract.name} files as delivered (${contract.format}); values are strings. Contract ${contract.id} v${contract.version}.`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: contract.format === 'csv' ? 'csv' : 'json', EXTERNAL: 'TRUE', ...(contract.format === 'csv' ? { 'skip.header.line.count': '1' } : {}) },
        storageDescriptor: {
          location: bronzeLocation,
          inputFormat: TEXT_INPUT,
          outputFormat: TEXT_OUTPUT,
          columns: bronzeColumns(contract),
          serdeInfo: bronzeSerde(contract),
        },
      },
    });

    this.silverTable = new glue.CfnTable(this, 'Silver', {
      catalogId,
      databaseName: props.silverDatabase.ref,
      tableInput: {
        name: contract.name,
        description: `${contract.description} Typed and validated; partitioned by the UTC date of ${contract.eventTimeColumn}. Contract ${contract.id} v${contract.version}.`.slice(0, 2048),
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: PARTITION_COLUMN, type: 'string', comment: `UTC date of ${contract.eventTimeColumn}, YYYY-MM-DD` }],
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'parquet.compression': 'ZSTD',
          'projection.enabled': 'true',
          [`projection.${PARTITION_COLUMN}.type`]: 'date',
          [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
          // Reaches as far ahead as the transform accepts events, so every silver row is queryable.
          [`projection.${PARTITION_COLUMN}.range`]: `${props.projectionStartDate},NOW+${props.futureHorizonDays}DAYS`,
          [`projection.${PARTITION_COLUMN}.interval`]: '1',
          [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
          'storage.location.template': `${silverLocation}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
        },
        storageDescriptor: {
          location: silverLocation,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          columns: silverColumns(contract),
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
        },
      },
    });
  }
}

function bronzeSerde(contract: DatasetContract): glue.CfnTable.SerdeInfoProperty {
  if (contract.format === 'csv') {
    const csv = contract.csv!;
    return {
      serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      parameters: { separatorChar: csv.delimiter, quoteChar: csv.quote, escapeChar: csv.escape },
    };
  }
  if (contract.format === 'json-array') {
    return { serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', parameters: { 'field.delim': '\u0001' } };
  }
  return {
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
  };
}

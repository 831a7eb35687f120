import type { GoldContract } from '../contracts';

/**
 * Glue table input (SDK shape) of the table a Gold dataset is published to: its contract's columns,
 * Parquet, partitioned by `as_of`; each partition points at one complete build.
 */
export function publishedTableInput(contract: GoldContract, goldBucket: string) {
  return {
    Name: `${contract.name}_published`,
    Description: `Materialized builds of Gold ${contract.name}; one partition per as-of date, each at one complete build`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
    PartitionKeys: [{ Name: 'as_of', Type: 'string' }],
    StorageDescriptor: {
      Columns: contract.properties.map((p) => ({ Name: p.name, Type: p.type.glueType })),
      Location: `s3://${goldBucket}/${contract.name}/`,
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
  };
}

import { PARTITION_COLUMN, type DatasetContract } from '../../lambdas/shared/contracts';
import { MANIFEST_COLUMNS, OPERATIONS_PREFIX } from '../../lambdas/shared/manifest';
import { QUALITY_RESULT_COLUMNS, QUALITY_RESULTS_PREFIX, RUN_COLUMNS, RUNS_PREFIX } from '../../lambdas/shared/quality';
import { bronzeColumns, silverColumns, type Column } from './table-columns';

/**
 * The Glue table definitions of the catalog, as plain data in the Glue API's shape (`TableInput` of
 * `CreateTable`): the catalog and orchestration stacks declare them through `cfnTableInput`, and the local
 * platform creates the very same tables in the emulator's Glue for a local Trino to read.
 */
export interface TableInput {
  readonly Name: string;
  readonly Description?: string;
  readonly TableType: 'EXTERNAL_TABLE';
  readonly Parameters: Record<string, string>;
  readonly PartitionKeys?: readonly { readonly Name: string; readonly Type: string; readonly Comment?: string }[];
  readonly StorageDescriptor: {
    readonly Location: string;
    readonly InputFormat: string;
    readonly OutputFormat: string;
    readonly Columns: readonly { readonly Name: string; readonly Type: string; readonly Comment?: string }[];
    readonly SerdeInfo: { readonly SerializationLibrary: string; readonly Parameters?: Record<string, string> };
  };
}

const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const TEXT_OUTPUT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';

const glueColumns = (columns: readonly Column[]) => columns.map((c) => ({ Name: c.name, Type: c.type, ...(c.comment ? { Comment: c.comment } : {}) }));

/** Bronze: the raw files as delivered; every leaf a string, so a malformed value never fails a query. */
export function bronzeTableInput(contract: DatasetContract, bronzeBucket: string): TableInput {
  return {
    Name: contract.name,
    Description: `Raw ${contract.name} files as delivered (${contract.format}); values are strings. Contract ${contract.id} v${contract.version}.`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: contract.format === 'csv' ? 'csv' : 'json', EXTERNAL: 'TRUE', ...(contract.format === 'csv' ? { 'skip.header.line.count': '1' } : {}) },
    StorageDescriptor: {
      Location: `s3://${bronzeBucket}/${contract.name}/`,
      InputFormat: TEXT_INPUT,
      OutputFormat: TEXT_OUTPUT,
      Columns: glueColumns(bronzeColumns(contract)),
      SerdeInfo: bronzeSerde(contract),
    },
  };
}

export interface SilverTableOptions {
  /** First day of the partition projection, YYYY-MM-DD. */
  readonly projectionStartDate: string;
  /** Days after now the projection reaches (the transform's future horizon). */
  readonly futureHorizonDays: number;
}

/** Silver: typed Parquet partitioned by event date, with Athena partition projection (no partition is ever registered). */
export function silverTableInput(contract: DatasetContract, silverBucket: string, options: SilverTableOptions): TableInput {
  const location = `s3://${silverBucket}/${contract.name}/`;
  return {
    Name: contract.name,
    Description: `${contract.description} Typed and validated; partitioned by the UTC date of ${contract.eventTimeColumn}. Contract ${contract.id} v${contract.version}.`.slice(0, 2048),
    TableType: 'EXTERNAL_TABLE',
    PartitionKeys: [{ Name: PARTITION_COLUMN, Type: 'string', Comment: `UTC date of ${contract.eventTimeColumn}, YYYY-MM-DD` }],
    Parameters: {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'parquet.compression': 'ZSTD',
      'projection.enabled': 'true',
      [`projection.${PARTITION_COLUMN}.type`]: 'date',
      [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
      // Reaches as far ahead as the transform accepts events, so every silver row is queryable.
      [`projection.${PARTITION_COLUMN}.range`]: `${options.projectionStartDate},NOW+${options.futureHorizonDays}DAYS`,
      [`projection.${PARTITION_COLUMN}.interval`]: '1',
      [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
      'storage.location.template': `${location}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
    },
    StorageDescriptor: {
      Location: location,
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      Columns: glueColumns(silverColumns(contract)),
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', Parameters: { 'serialization.format': '1' } },
    },
  };
}

/** An operations table: JSON lines under a prefix of the bucket holding `_operations/`. */
function jsonTableInput(name: string, description: string, location: string, columns: readonly (readonly [string, string])[]): TableInput {
  return {
    Name: name,
    Description: description,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'json', EXTERNAL: 'TRUE' },
    StorageDescriptor: {
      Location: location,
      InputFormat: TEXT_INPUT,
      OutputFormat: TEXT_OUTPUT,
      Columns: columns.map(([n, type]) => ({ Name: n, Type: type })),
      SerdeInfo: { SerializationLibrary: JSON_SERDE, Parameters: { 'ignore.malformed.json': 'true' } },
    },
  };
}

/** `<ops>.manifests`: one run manifest per source object processed by the transform. */
export const manifestsTableInput = (operationsBucket: string): TableInput =>
  jsonTableInput('manifests', 'One run manifest per source object processed by the transform (status, row counts, reasons, partitions written)', `s3://${operationsBucket}/${OPERATIONS_PREFIX}manifests/`, MANIFEST_COLUMNS);

/** `<ops>.quality_results`: one line per quality check and gold-build execution. */
export const qualityResultsTableInput = (operationsBucket: string): TableInput =>
  jsonTableInput('quality_results', 'One line per quality check and gold-build execution: dataset, check, severity, status, value, threshold', `s3://${operationsBucket}/${QUALITY_RESULTS_PREFIX}`, QUALITY_RESULT_COLUMNS);

/** `<ops>.runs`: one record per gold-build execution. */
export const runsTableInput = (operationsBucket: string): TableInput =>
  jsonTableInput('runs', 'One record per gold-build execution: status, request, checks failed and warned, Gold builds published', `s3://${operationsBucket}/${RUNS_PREFIX}`, RUN_COLUMNS);

function bronzeSerde(contract: DatasetContract): TableInput['StorageDescriptor']['SerdeInfo'] {
  if (contract.format === 'csv') {
    const csv = contract.csv!;
    return { SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde', Parameters: { separatorChar: csv.delimiter, quoteChar: csv.quote, escapeChar: csv.escape } };
  }
  if (contract.format === 'json-array') {
    return { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', Parameters: { 'field.delim': '\u0001' } };
  }
  return { SerializationLibrary: JSON_SERDE, Parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' } };
}

/**
 * A Glue API-shaped (PascalCase) input as CloudFormation props (camelCase), for `glue.CfnTable`; the keys of
 * `Parameters` maps are kept as they are.
 */
export function cfnTableInput<T>(value: unknown, keepKeys = false): T {
  if (Array.isArray(value)) return value.map((v) => cfnTableInput(v)) as T;
  if (value === null || typeof value !== 'object') return value as T;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [keepKeys ? k : k[0].toLowerCase() + k.slice(1), cfnTableInput(v, k === 'Parameters')]),
  ) as T;
}

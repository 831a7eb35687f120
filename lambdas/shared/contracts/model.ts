import type { ColumnType } from './types';

/** How producers deliver files for a dataset. gzip (`.gz`) is accepted for every format. */
export const SOURCE_FORMATS = ['ndjson', 'json-array', 'csv'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface CsvOptions {
  /** Field separator, one character. */
  readonly delimiter: string;
  /** Quote character, one character. */
  readonly quote: string;
  /** Escape character inside quoted fields, one character. */
  readonly escape: string;
}

/** How a PII column is protected in silver. The clear value stays only in bronze. */
export const PII_HANDLINGS = ['hmac-sha256'] as const;
export type PiiHandling = (typeof PII_HANDLINGS)[number];

/** Row-level rules checked by the transform; a row that breaks one goes to quarantine. */
export interface ValueRules {
  readonly acceptedValues?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number | string;
  readonly maximum?: number | string;
  readonly exclusiveMinimum?: number | string;
  readonly exclusiveMaximum?: number | string;
}

export interface ContractProperty {
  readonly name: string;
  readonly description: string;
  readonly type: ColumnType;
  readonly required: boolean;
  readonly unique: boolean;
  /** 1-based position in the primary key, or undefined when the column is not part of it. */
  readonly primaryKeyPosition?: number;
  readonly classification?: string;
  readonly pii?: PiiHandling;
  /** Where the value sits in a source record: the path of keys for JSON, `[header]` for CSV. */
  readonly sourcePath: readonly string[];
  readonly rules: ValueRules;
}

export const QUALITY_METRICS = ['nullValues', 'missingValues', 'invalidValues', 'duplicateValues', 'rowCount'] as const;
export type QualityMetric = (typeof QUALITY_METRICS)[number];

export interface QualityThreshold {
  readonly operator:
    | 'mustBe'
    | 'mustNotBe'
    | 'mustBeGreaterThan'
    | 'mustBeGreaterOrEqualTo'
    | 'mustBeLessThan'
    | 'mustBeLessOrEqualTo'
    | 'mustBeBetween'
    | 'mustNotBeBetween';
  readonly value: number | readonly [number, number];
}

export interface QualityRule {
  readonly name: string;
  readonly metric: QualityMetric;
  /** Undefined for dataset-level rules. */
  readonly column?: string;
  readonly threshold: QualityThreshold;
  readonly unit: 'rows' | 'percent';
  /** `error` blocks Gold publication; `warning` is recorded only. */
  readonly severity: 'error' | 'warning';
  readonly description?: string;
}

export interface Duration {
  readonly value: number;
  readonly unit: 'h' | 'd' | 'y';
}

export interface ServiceLevels {
  /** Maximum age of the newest event before the dataset counts as stale. */
  readonly freshness?: Duration;
  /** How long bronze and silver objects of the dataset are kept. */
  readonly retention?: Duration;
}

/** A validated data contract for one source dataset, as both the CDK app and the handlers use it. */
export interface DatasetContract {
  /** Path of the contract file, relative to the working directory, for messages. */
  readonly file: string;
  readonly id: string;
  /** Dataset name: the bronze key prefix, the table name in every layer. */
  readonly name: string;
  readonly version: string;
  readonly status: string;
  readonly description: string;
  readonly format: SourceFormat;
  /** Present when format is csv. */
  readonly csv?: CsvOptions;
  readonly properties: readonly ContractProperty[];
  /** Property names of the primary key in key order; empty when the dataset has none. */
  readonly primaryKey: readonly string[];
  /** Property whose UTC date partitions silver. */
  readonly eventTimeColumn: string;
  readonly quality: readonly QualityRule[];
  readonly sla: ServiceLevels;
}

export function durationInDays(d: Duration): number {
  switch (d.unit) {
    case 'h':
      return Math.ceil(d.value / 24);
    case 'd':
      return d.value;
    case 'y':
      return d.value * 365;
  }
}

/** The contract of a Gold dataset's output columns (used by tests, the API and docs). */
export type GoldContract = Omit<DatasetContract, 'format' | 'csv' | 'eventTimeColumn'> & {
  /** The source dataset whose latest event date is the default as-of date (custom property `asOfSource`). @default the sources its SQL reads */
  readonly asOfSource?: string;
};

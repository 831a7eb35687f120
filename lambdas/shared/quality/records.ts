import { OPERATIONS_PREFIX } from '../manifest';

/** Where quality results and run records live in the operations (silver) bucket. */
export const QUALITY_RESULTS_PREFIX = `${OPERATIONS_PREFIX}quality/`;
export const RUNS_PREFIX = `${OPERATIONS_PREFIX}runs/`;
/** One JSON-lines object per execution, one line per check. */
export const qualityResultsKey = (execution: string): string => `${QUALITY_RESULTS_PREFIX}${execution}.jsonl`;
export const runRecordKey = (execution: string): string => `${RUNS_PREFIX}${execution}.json`;

/** A line of `quality_results`. */
export interface QualityResultRecord {
  readonly execution: string;
  readonly checked_at: string;
  readonly as_of: string | null;
  readonly id: string;
  readonly dataset: string;
  readonly check: string;
  readonly kind: string;
  readonly severity: string;
  readonly status: string;
  readonly value: number | null;
  readonly unit: string;
  readonly threshold: string;
  /** The requested Gold datasets this check blocked (a failed error check), in build order; empty otherwise. */
  readonly blocks: readonly string[];
}

/** A Gold dataset a run did not build, and why: a line of `runs.blocked`. */
export interface BlockedDataset {
  readonly dataset: string;
  /** Ids of the failed blocking checks (`quality_results.id`) of the sources it reads, directly or through other Gold datasets. */
  readonly blocked_by: readonly string[];
  /** The blocked Gold datasets it reads, through which the failure reached it. */
  readonly through: readonly string[];
}

/** A `runs` record: one per execution of gold-build. */
export interface RunRecord {
  readonly execution: string;
  /**
   * SUCCEEDED; PARTIAL (a blocking check failed: the Gold datasets reading its source were not built, the
   * others were published); BLOCKED (every requested Gold dataset was blocked, nothing was built); FAILED.
   */
  readonly status: 'SUCCEEDED' | 'PARTIAL' | 'BLOCKED' | 'FAILED';
  readonly started_at: string;
  readonly finished_at: string;
  readonly request: string;
  readonly checks: number;
  readonly checks_failed: number;
  readonly checks_warned: number;
  readonly builds: readonly { dataset: string; as_of: string; location: string }[];
  /** The requested Gold datasets the quality gate blocked, in build order. */
  readonly blocked: readonly BlockedDataset[];
  readonly message: string;
  readonly error: string | null;
}

/** Glue/Hive types of the operations tables, in order. */
export const QUALITY_RESULT_COLUMNS: readonly (readonly [keyof QualityResultRecord, string])[] = [
  ['execution', 'string'],
  ['checked_at', 'string'],
  ['as_of', 'string'],
  ['id', 'string'],
  ['dataset', 'string'],
  ['check', 'string'],
  ['kind', 'string'],
  ['severity', 'string'],
  ['status', 'string'],
  ['value', 'double'],
  ['unit', 'string'],
  ['threshold', 'string'],
  ['blocks', 'array<string>'],
];

export const RUN_COLUMNS: readonly (readonly [keyof RunRecord, string])[] = [
  ['execution', 'string'],
  ['status', 'string'],
  ['started_at', 'string'],
  ['finished_at', 'string'],
  ['request', 'string'],
  ['checks', 'int'],
  ['checks_failed', 'int'],
  ['checks_warned', 'int'],
  ['builds', 'array<struct<dataset:string,as_of:string,location:string>>'],
  ['blocked', 'array<struct<dataset:string,blocked_by:array<string>,through:array<string>>>'],
  ['message', 'string'],
  ['error', 'string'],
];

/**
 * The run manifest: one JSON document per source object, written by the transform under the operations
 * prefix, read by the local report, the quality history and the Glue table `<prefix>_<stage>_ops.manifests`.
 */
/**
 * `ingested`: read and split into valid and quarantined rows; `quarantined`: unreadable as a whole;
 * `duplicate`: its decoded content was already ingested from another file; `rejected`: no contract, or gone
 * from bronze; `superseded`: a newer version of the same key replaced it (its rows left silver).
 */
export const FILE_STATUSES = ['ingested', 'quarantined', 'duplicate', 'rejected', 'superseded'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface PartitionWritten {
  readonly dt: string;
  readonly rows: number;
  readonly key: string;
}

export interface RunManifest {
  readonly dataset: string | null;
  readonly key: string;
  readonly version_id: string | null;
  readonly etag: string | null;
  readonly file_id: string;
  readonly status: FileStatus;
  readonly rows_in: number;
  readonly rows_valid: number;
  readonly rows_quarantined: number;
  /** Valid rows replaced by a later row with the same primary key in the same file. */
  readonly rows_superseded: number;
  readonly reasons: Readonly<Record<string, number>>;
  readonly partitions: readonly PartitionWritten[];
  readonly quarantine: readonly PartitionWritten[];
  readonly content_sha256: string | null;
  /** For a duplicate: the key of the object first ingested with the same decoded content. */
  readonly duplicate_of: string | null;
  /** File id of the previous version of the same key, whose rows this version replaced. */
  readonly supersedes: string | null;
  /** For a superseded version: the file id of the version that replaced it. */
  readonly superseded_by: string | null;
  readonly bytes: number;
  readonly processed_at: string;
  readonly duration_ms: number;
  readonly error: string | null;
}

/** Glue/Hive type of every manifest field, in order, for the operations table. */
export const MANIFEST_COLUMNS: readonly (readonly [keyof RunManifest, string])[] = [
  ['dataset', 'string'],
  ['key', 'string'],
  ['version_id', 'string'],
  ['etag', 'string'],
  ['file_id', 'string'],
  ['status', 'string'],
  ['rows_in', 'bigint'],
  ['rows_valid', 'bigint'],
  ['rows_quarantined', 'bigint'],
  ['rows_superseded', 'bigint'],
  ['reasons', 'map<string,bigint>'],
  ['partitions', 'array<struct<dt:string,rows:bigint,key:string>>'],
  ['quarantine', 'array<struct<dt:string,rows:bigint,key:string>>'],
  ['content_sha256', 'string'],
  ['duplicate_of', 'string'],
  ['supersedes', 'string'],
  ['superseded_by', 'string'],
  ['bytes', 'bigint'],
  ['processed_at', 'string'],
  ['duration_ms', 'bigint'],
  ['error', 'string'],
];

/** Where operations data lives inside the operations bucket. */
export const OPERATIONS_PREFIX = '_operations/';
export const manifestKey = (fileId: string): string => `${OPERATIONS_PREFIX}manifests/${fileId}.json`;
export const contentMarkerKey = (dataset: string, sha256: string): string => `${OPERATIONS_PREFIX}content/${dataset}/${sha256}.json`;

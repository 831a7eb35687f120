/**
 * Columns the transform appends to every silver row so that each row can be traced to the exact bronze
 * object it came from. Names start with `_`, which contract property names cannot, so they never clash.
 */
export const LINEAGE_COLUMNS = [
  { name: '_source_key', glueType: 'string', duckdbType: 'VARCHAR', description: 'Bronze object key the row was read from' },
  { name: '_source_version', glueType: 'string', duckdbType: 'VARCHAR', description: 'Bronze object version id, or its ETag when the bucket is not versioned' },
  { name: '_file_id', glueType: 'string', duckdbType: 'VARCHAR', description: 'Deterministic id of the source object, also the silver object name' },
  { name: '_ingested_at', glueType: 'timestamp', duckdbType: 'TIMESTAMP', description: 'When the transform processed the object (UTC)' },
] as const;

/** Silver partition column: the UTC date (YYYY-MM-DD) of the contract's event-time column. */
export const PARTITION_COLUMN = 'dt';

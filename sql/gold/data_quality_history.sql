-- One row per processed source file, from the transform's run manifests.
SELECT
  dataset,
  key AS source_key,
  status,
  rows_in,
  rows_valid,
  rows_quarantined,
  -- AT TIME ZONE 'UTC' first: Trino's cast of a timestamp with time zone keeps its wall-clock time.
  CAST(from_iso8601_timestamp(processed_at) AT TIME ZONE 'UTC' AS TIMESTAMP) AS processed_at
FROM ${ops}.manifests

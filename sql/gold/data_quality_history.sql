-- One row per processed source file, from the transform's run manifests.
SELECT
  dataset,
  key AS source_key,
  status,
  rows_in,
  rows_valid,
  rows_quarantined,
  CAST(from_iso8601_timestamp(processed_at) AS TIMESTAMP) AS processed_at
FROM ${ops}.manifests

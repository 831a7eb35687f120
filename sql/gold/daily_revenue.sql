-- Completed transactions and revenue per UTC date and currency; a later row for a transaction supersedes
-- earlier ones.
WITH transactions AS (
  SELECT transaction_id, amount, currency, status, "timestamp"
  FROM (
    SELECT t.*, row_number() OVER (PARTITION BY transaction_id ORDER BY _ingested_at DESC, _file_id DESC) AS rn
    FROM ${silver}.transactions t
  ) ranked
  WHERE rn = 1
)
SELECT
  CAST("timestamp" AS DATE) AS date,
  currency,
  count(*) AS transactions,
  CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
FROM transactions
WHERE status = 'completed'
GROUP BY CAST("timestamp" AS DATE), currency

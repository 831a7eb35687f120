-- One row per session of the deduplicated events, with the user's current attributes and the session's
-- latest completed transaction.
WITH events AS (
  SELECT event_id, session_id, user_id, event_type, "timestamp"
  FROM (
    SELECT e.*, row_number() OVER (PARTITION BY event_id ORDER BY _ingested_at DESC, _file_id DESC) AS rn
    FROM ${silver}.events e
  ) ranked
  WHERE rn = 1
),
transactions AS (
  SELECT transaction_id, session_id, amount, currency, status, "timestamp"
  FROM (
    SELECT t.*, row_number() OVER (PARTITION BY transaction_id ORDER BY _ingested_at DESC, _file_id DESC) AS rn
    FROM ${silver}.transactions t
  ) ranked
  WHERE rn = 1
),
users AS (
  SELECT user_id, country, device
  FROM (
    SELECT u.*, row_number() OVER (PARTITION BY user_id ORDER BY updated_at DESC, _ingested_at DESC, _file_id DESC) AS rn
    FROM ${silver}.users u
  ) ranked
  WHERE rn = 1
),
sessions AS (
  SELECT session_id,
    min_by(user_id, "timestamp") AS user_id,
    min("timestamp") AS session_start_time,
    max("timestamp") AS session_end_time,
    count(DISTINCT event_id) AS total_events
  FROM events
  GROUP BY session_id
),
top_event_type AS (
  SELECT session_id, event_type
  FROM (
    SELECT session_id, event_type, row_number() OVER (PARTITION BY session_id ORDER BY count(*) DESC, event_type ASC) AS rn
    FROM events
    GROUP BY session_id, event_type
  ) ranked
  WHERE rn = 1
),
latest_completed AS (
  SELECT session_id, transaction_id, amount, currency
  FROM (
    SELECT session_id, transaction_id, amount, currency,
      row_number() OVER (PARTITION BY session_id ORDER BY "timestamp" DESC, transaction_id DESC) AS rn
    FROM transactions
    WHERE status = 'completed'
  ) ranked
  WHERE rn = 1
)
SELECT
  s.session_id,
  s.user_id,
  u.country AS user_country,
  u.device AS user_device,
  s.session_start_time,
  s.session_end_time,
  s.total_events,
  tt.event_type,
  c.transaction_id,
  c.amount,
  c.currency,
  c.transaction_id IS NOT NULL AS is_conversion
FROM sessions s
LEFT JOIN top_event_type tt ON tt.session_id = s.session_id
LEFT JOIN latest_completed c ON c.session_id = s.session_id
LEFT JOIN users u ON u.user_id = s.user_id

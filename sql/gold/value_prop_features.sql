-- One row per print of the week ending at the as-of date (duplicates included), with the user's history
-- for the same value proposition over the 21 days before that print's own day.
WITH params AS (
  SELECT ${as_of} AS as_of
),
recent AS (
  SELECT p.day, p.user_id, p.value_prop, p.position
  FROM ${silver}.prints p
  CROSS JOIN params
  WHERE p.day BETWEEN CAST(params.as_of - INTERVAL '6' DAY AS DATE) AND params.as_of
),
daily_prints AS (
  SELECT user_id, value_prop, day, count(*) AS n FROM ${silver}.prints GROUP BY user_id, value_prop, day
),
daily_taps AS (
  SELECT user_id, value_prop, day, count(*) AS n FROM ${silver}.taps GROUP BY user_id, value_prop, day
),
daily_pays AS (
  SELECT user_id, value_prop, pay_date AS day, count(*) AS n, sum(total) AS amount
  FROM ${silver}.pays GROUP BY user_id, value_prop, pay_date
),
print_keys AS (
  SELECT DISTINCT user_id, value_prop, day FROM recent
),
history AS (
  SELECT k.user_id, k.value_prop, k.day,
    coalesce(max(tap_today.n), 0) > 0 AS clicked
  FROM print_keys k
  LEFT JOIN daily_taps tap_today
    ON tap_today.user_id = k.user_id AND tap_today.value_prop = k.value_prop AND tap_today.day = k.day
  GROUP BY k.user_id, k.value_prop, k.day
),
prints_3w AS (
  SELECT k.user_id, k.value_prop, k.day, CAST(coalesce(sum(d.n), 0) AS BIGINT) AS n
  FROM print_keys k
  LEFT JOIN daily_prints d
    ON d.user_id = k.user_id AND d.value_prop = k.value_prop
   AND d.day BETWEEN CAST(k.day - INTERVAL '21' DAY AS DATE) AND CAST(k.day - INTERVAL '1' DAY AS DATE)
  GROUP BY k.user_id, k.value_prop, k.day
),
taps_3w AS (
  SELECT k.user_id, k.value_prop, k.day, CAST(coalesce(sum(d.n), 0) AS BIGINT) AS n
  FROM print_keys k
  LEFT JOIN daily_taps d
    ON d.user_id = k.user_id AND d.value_prop = k.value_prop
   AND d.day BETWEEN CAST(k.day - INTERVAL '21' DAY AS DATE) AND CAST(k.day - INTERVAL '1' DAY AS DATE)
  GROUP BY k.user_id, k.value_prop, k.day
),
pays_3w AS (
  SELECT k.user_id, k.value_prop, k.day, CAST(coalesce(sum(d.n), 0) AS BIGINT) AS n, CAST(coalesce(sum(d.amount), 0) AS DECIMAL(18, 2)) AS amount
  FROM print_keys k
  LEFT JOIN daily_pays d
    ON d.user_id = k.user_id AND d.value_prop = k.value_prop
   AND d.day BETWEEN CAST(k.day - INTERVAL '21' DAY AS DATE) AND CAST(k.day - INTERVAL '1' DAY AS DATE)
  GROUP BY k.user_id, k.value_prop, k.day
)
SELECT
  r.day,
  r.user_id,
  r.value_prop,
  r.position,
  h.clicked,
  p.n AS prints_3w,
  t.n AS taps_3w,
  y.n AS pays_3w,
  y.amount AS amount_3w
FROM recent r
JOIN history h ON h.user_id = r.user_id AND h.value_prop = r.value_prop AND h.day = r.day
JOIN prints_3w p ON p.user_id = r.user_id AND p.value_prop = r.value_prop AND p.day = r.day
JOIN taps_3w t ON t.user_id = r.user_id AND t.value_prop = r.value_prop AND t.day = r.day
JOIN pays_3w y ON y.user_id = r.user_id AND y.value_prop = r.value_prop AND y.day = r.day

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
-- Prints, taps and pays per user, value proposition and day, side by side.
daily AS (
  SELECT user_id, value_prop, day, sum(prints) AS prints, sum(taps) AS taps, sum(pays) AS pays, sum(amount) AS amount
  FROM (
    SELECT user_id, value_prop, day, 1 AS prints, 0 AS taps, 0 AS pays, CAST(0 AS DECIMAL(18, 2)) AS amount FROM ${silver}.prints
    UNION ALL
    SELECT user_id, value_prop, day, 0, 1, 0, CAST(0 AS DECIMAL(18, 2)) FROM ${silver}.taps
    UNION ALL
    SELECT user_id, value_prop, pay_date, 0, 0, 1, total FROM ${silver}.pays
  ) events
  GROUP BY user_id, value_prop, day
),
features AS (
  SELECT k.user_id, k.value_prop, k.day,
    coalesce(max(CASE WHEN d.day = k.day THEN d.taps END), 0) > 0 AS clicked,
    CAST(coalesce(sum(CASE WHEN d.day < k.day THEN d.prints END), 0) AS BIGINT) AS prints_3w,
    CAST(coalesce(sum(CASE WHEN d.day < k.day THEN d.taps END), 0) AS BIGINT) AS taps_3w,
    CAST(coalesce(sum(CASE WHEN d.day < k.day THEN d.pays END), 0) AS BIGINT) AS pays_3w,
    CAST(coalesce(sum(CASE WHEN d.day < k.day THEN d.amount END), 0) AS DECIMAL(18, 2)) AS amount_3w
  FROM (SELECT DISTINCT user_id, value_prop, day FROM recent) k
  LEFT JOIN daily d
    ON d.user_id = k.user_id AND d.value_prop = k.value_prop
   AND d.day BETWEEN CAST(k.day - INTERVAL '21' DAY AS DATE) AND k.day
  GROUP BY k.user_id, k.value_prop, k.day
)
SELECT r.day, r.user_id, r.value_prop, r.position, f.clicked, f.prints_3w, f.taps_3w, f.pays_3w, f.amount_3w
FROM recent r
JOIN features f ON f.user_id = r.user_id AND f.value_prop = r.value_prop AND f.day = r.day

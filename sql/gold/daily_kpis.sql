-- Sessions, active users and conversion per UTC date of the session start.
SELECT
  CAST(session_start_time AS DATE) AS date,
  count(*) AS sessions,
  count(DISTINCT user_id) AS active_users,
  CAST(sum(CASE WHEN is_conversion THEN 1 ELSE 0 END) AS BIGINT) AS converted_sessions,
  CAST(sum(CASE WHEN is_conversion THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS conversion_rate
FROM ${gold}.user_session_analysis
GROUP BY CAST(session_start_time AS DATE)

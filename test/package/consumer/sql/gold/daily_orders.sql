-- Orders and revenue per day.
SELECT
  order_date AS date,
  count(*) AS orders,
  CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
FROM ${silver}.orders
GROUP BY order_date

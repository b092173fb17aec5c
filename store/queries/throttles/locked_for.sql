-- $2 is the clock; NULL means the database's.
SELECT locked_until - coalesce($2::timestamptz, now())
FROM throttles
WHERE key = $1
  AND locked_until > coalesce($2::timestamptz, now())

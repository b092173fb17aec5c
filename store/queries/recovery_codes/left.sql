SELECT count(*) FILTER (WHERE used_at IS NULL) AS left, count(*) AS issued
FROM recovery_codes
WHERE user_id = $1

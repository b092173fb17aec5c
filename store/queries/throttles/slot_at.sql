-- How long until slow-down key $1 opens its next slot; $2 is the clock (NULL: the database's).
SELECT next_slot_at - coalesce($2::timestamptz, now())
FROM throttles
WHERE key = $1
  AND next_slot_at > coalesce($2::timestamptz, now())

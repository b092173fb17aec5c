-- A live session of an active user slides its idle deadline (never past the absolute one)
-- and names its user; anything else matches no row. $2 idle, $3 the clock (NULL: the
-- database's).
WITH clock AS (SELECT coalesce($3::timestamptz, now()) AS now)
UPDATE sessions AS s
SET last_seen_at = clock.now,
    idle_expires_at = least(clock.now + $2::interval, s.absolute_expires_at)
FROM clock, users AS u
WHERE s.id_digest = $1
  AND u.id = s.user_id
  AND u.status = 'active'
  AND s.revoked_at IS NULL
  AND clock.now < s.idle_expires_at
  AND clock.now < s.absolute_expires_at
RETURNING u.id, u.first_name, u.last_name, u.username::text AS username

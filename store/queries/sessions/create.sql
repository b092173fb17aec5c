-- $3 idle, $4 absolute, $7 the clock (NULL: the database's). The idle deadline never
-- passes the absolute one.
WITH clock AS (SELECT coalesce($7::timestamptz, now()) AS now)
INSERT INTO sessions (id_digest, user_id, created_at, last_seen_at,
                      idle_expires_at, absolute_expires_at, user_agent, client_ip)
SELECT $1, $2, clock.now, clock.now,
       clock.now + least($3::interval, $4::interval), clock.now + $4::interval,
       nullif($5, ''), $6::inet
FROM clock

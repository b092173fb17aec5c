-- $4 how long the token lives, $5 the clock (NULL: the database's).
WITH clock AS (SELECT coalesce($5::timestamptz, now()) AS now)
INSERT INTO remember_me_tokens (token_digest, user_id, login_option, created_at, expires_at)
SELECT $1, $2, $3, clock.now, clock.now + $4::interval
FROM clock

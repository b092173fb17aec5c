-- $4 how long the token lives, $5 the clock (NULL: the database's), $6 when the login that
-- sets it proved who the person is (NULL: now).
WITH clock AS (SELECT coalesce($5::timestamptz, now()) AS now)
INSERT INTO remember_me_tokens (token_digest, user_id, login_option, created_at, expires_at, authenticated_at)
SELECT $1, $2, $3, clock.now, clock.now + $4::interval, coalesce($6::timestamptz, clock.now)
FROM clock

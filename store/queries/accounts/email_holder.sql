-- Whether address $1 already belongs to an account, and whether that account is an unfinished
-- registration nobody has verified (it expires: PENDING_ACCOUNT_TTL).
SELECT status = 'pending' AND email_verified_at IS NULL AS unverified
FROM users
WHERE email = $1::text::citext

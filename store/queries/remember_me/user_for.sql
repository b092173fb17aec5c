-- The active user a live token remembers for login option $2, and when they last really
-- logged in; no row for a token that is unknown, revoked, expired or set with the other
-- option. $3 the clock (NULL: the database's).
SELECT t.user_id, coalesce(t.authenticated_at, t.created_at) AS authenticated_at
FROM remember_me_tokens AS t
JOIN users AS u ON u.id = t.user_id
WHERE t.token_digest = $1
  AND t.login_option = $2
  AND t.revoked_at IS NULL
  AND coalesce($3::timestamptz, now()) < t.expires_at
  AND u.status = 'active'
  AND u.mfa_method IS NOT NULL

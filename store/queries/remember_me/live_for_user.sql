-- $2 this browser's token digest (NULL when it has none), $3 the clock (NULL: the database's).
SELECT login_option, created_at, expires_at, coalesce(token_digest = $2, false) AS this_browser
FROM remember_me_tokens
WHERE user_id = $1
  AND revoked_at IS NULL
  AND coalesce($3::timestamptz, now()) < expires_at
ORDER BY created_at DESC, id DESC

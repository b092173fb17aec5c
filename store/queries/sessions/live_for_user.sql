-- $2 the asking browser's session digest (NULL when it has none), $3 the clock (NULL: the
-- database's). Newest activity first.
SELECT created_at, last_seen_at, coalesce(user_agent, '') AS user_agent,
       coalesce(id_digest = $2, false) AS this_session
FROM sessions
WHERE user_id = $1
  AND revoked_at IS NULL
  AND coalesce($3::timestamptz, now()) < idle_expires_at
  AND coalesce($3::timestamptz, now()) < absolute_expires_at
ORDER BY last_seen_at DESC, created_at DESC

-- Disable an active account ($2 'disabled') or enable a disabled one ($2 'active'); a pending
-- registration is neither. Disabling ends every sign-in under way. Returns the id and the
-- status it had, or no row for an unknown username.
UPDATE users AS u
SET status = CASE WHEN u.status IN ('active', 'disabled') THEN $2 ELSE u.status END,
    sign_ins_revoked_at = CASE WHEN $2 = 'disabled' THEN now() ELSE u.sign_ins_revoked_at END
FROM (SELECT id, status FROM users WHERE username = $1::text::citext FOR UPDATE) AS before
WHERE u.id = before.id
RETURNING u.id, before.status AS was

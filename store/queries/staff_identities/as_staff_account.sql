-- An account the provider vouches for becomes a staff account: active, its address verified,
-- and no password in the portal (staff sign in by the Kepro LOGIN only). Its roles stay.
UPDATE users
SET status = 'active',
    email_verified_at = coalesce(email_verified_at, now()),
    password_hash = NULL,
    password_changed_at = NULL,
    is_legacy = false
WHERE id = $1

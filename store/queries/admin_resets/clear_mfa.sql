-- The admin reset: the MFA method and its phone go; the account stays active and keeps its
-- password, so the user can sign in at "first login" and register again.
UPDATE users
SET mfa_method = NULL, mfa_phone = NULL
WHERE id = $1
RETURNING id

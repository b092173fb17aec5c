-- A stronger hash of the same password (the argon2 parameters changed). Not a password
-- change: password_changed_at stays, so an imported legacy password stays one. Only if the
-- hash is still $3, so a password reset that landed meanwhile is never undone.
UPDATE users
SET password_hash = $2
WHERE id = $1 AND password_hash = $3
RETURNING id

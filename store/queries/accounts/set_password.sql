-- password_changed_at tells a portal-made password from an imported legacy one.
UPDATE users
SET password_hash = $2, password_changed_at = now()
WHERE id = $1
RETURNING id

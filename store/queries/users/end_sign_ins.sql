-- Logins and enrollments bound before this moment can no longer finish into a session.
UPDATE users
SET sign_ins_revoked_at = now()
WHERE id = $1
RETURNING id

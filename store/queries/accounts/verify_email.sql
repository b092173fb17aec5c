UPDATE users
SET email = $2, email_verified_at = now()
WHERE id = $1
RETURNING id

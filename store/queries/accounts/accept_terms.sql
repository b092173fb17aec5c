UPDATE users
SET terms_version = $2, terms_accepted_at = now()
WHERE id = $1
RETURNING id

UPDATE remember_me_tokens
SET revoked_at = now()
WHERE token_digest = $1 AND revoked_at IS NULL
RETURNING user_id

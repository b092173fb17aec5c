UPDATE sessions
SET revoked_at = now()
WHERE id_digest = $1 AND revoked_at IS NULL
RETURNING id_digest

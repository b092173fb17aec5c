-- $2: the session to keep (the one making the change), or NULL to revoke them all.
WITH revoked AS (
    UPDATE sessions
    SET revoked_at = now()
    WHERE user_id = $1
      AND revoked_at IS NULL
      AND id_digest IS DISTINCT FROM $2
    RETURNING 1
)
SELECT count(*) FROM revoked

WITH revoked AS (
    UPDATE remember_me_tokens
    SET revoked_at = now()
    WHERE user_id = $1 AND revoked_at IS NULL
    RETURNING 1
)
SELECT count(*) FROM revoked

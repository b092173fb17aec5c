WITH purged AS (
    DELETE FROM staged_passwords WHERE expires_at <= now() RETURNING 1
)
SELECT count(*) FROM purged

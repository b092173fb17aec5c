INSERT INTO passkeys (credential_id, user_id, public_key, sign_count, backed_up, device_type, transports, name, added_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (credential_id) DO NOTHING
RETURNING credential_id

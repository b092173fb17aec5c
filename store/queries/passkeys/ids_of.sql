SELECT credential_id FROM passkeys WHERE user_id = $1 ORDER BY created_at

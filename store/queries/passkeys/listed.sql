SELECT credential_id, name, created_at, last_used_at, backed_up FROM passkeys WHERE user_id = $1 ORDER BY created_at

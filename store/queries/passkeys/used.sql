UPDATE passkeys SET sign_count = $3, last_used_at = now(), last_used_by = $4 WHERE credential_id = $1 AND user_id = $2

SELECT name FROM passkeys WHERE credential_id = $1 AND user_id = $2

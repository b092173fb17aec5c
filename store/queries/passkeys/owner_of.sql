SELECT user_id FROM passkeys WHERE credential_id = $1

SELECT user_id FROM passkeys WHERE credential_id = $1 AND added_by = $2

DELETE FROM passkeys WHERE user_id = $1

UPDATE staff_identities
SET last_sign_in_at = now()
WHERE user_id = $1

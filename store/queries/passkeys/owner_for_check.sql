-- A passkey-first sign-in: the passkey alone names its account. Locked like for_check.
SELECT p.user_id, p.public_key, p.sign_count, p.last_used_by, u.status, u.email
FROM passkeys AS p
JOIN users AS u ON u.id = p.user_id
WHERE p.credential_id = $1
FOR UPDATE OF p

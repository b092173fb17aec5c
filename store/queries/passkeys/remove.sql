-- One of the account's passkeys, unless it is the last one of an account that signs in with
-- passkeys (it would be left without its second factor).
DELETE FROM passkeys AS p
WHERE p.credential_id = $1 AND p.user_id = $2
  AND NOT (
      (SELECT mfa_method FROM users WHERE id = $2) = 'passkey'
      AND (SELECT count(*) FROM passkeys WHERE user_id = $2) = 1
  )
RETURNING p.name

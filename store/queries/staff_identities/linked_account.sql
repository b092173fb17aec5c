-- The account linked to the provider's (issuer $1, subject $2), locked for this sign-in.
SELECT u.id, u.status
FROM staff_identities AS s
JOIN users AS u ON u.id = s.user_id
WHERE s.issuer = $1 AND s.subject = $2
FOR UPDATE OF u

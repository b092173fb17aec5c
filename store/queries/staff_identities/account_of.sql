-- The account linked to the provider's (issuer $1, subject $2), if any.
SELECT user_id FROM staff_identities WHERE issuer = $1 AND subject = $2

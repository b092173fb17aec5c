INSERT INTO staff_identities (issuer, subject, user_id)
VALUES ($1, $2, $3)

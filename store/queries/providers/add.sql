INSERT INTO providers (npi, name, registration_code_hash)
VALUES ($1, $2, $3)
RETURNING id

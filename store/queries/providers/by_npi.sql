SELECT id, npi, name, registration_code_hash, created_at
FROM providers
WHERE npi = $1

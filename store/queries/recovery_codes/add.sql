INSERT INTO recovery_codes (user_id, code_digest)
SELECT $1, unnest($2::text[])

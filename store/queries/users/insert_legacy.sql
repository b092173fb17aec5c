-- Legacy portal users already have a password but no MFA: active, and is_legacy sends
-- them through MFA enrollment at their first login.
INSERT INTO users (username, first_name, last_name, email, password_hash, status, is_legacy)
VALUES ($1, $2, $3, $4, $5, 'active', true)
RETURNING id

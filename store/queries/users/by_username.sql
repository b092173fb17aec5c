SELECT id, username::text AS username, first_name, last_name, email::text AS email, status,
       mfa_method, mfa_phone, is_legacy, is_staff, password_hash
FROM users
WHERE username = $1::text::citext

SELECT email::text AS email
FROM users
WHERE email = ANY($1::text[]::citext[])

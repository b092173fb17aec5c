SELECT username::text AS username
FROM users
WHERE username = ANY($1::text[]::citext[])

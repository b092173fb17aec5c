-- Each of the usernames in $1 with its account's status (none: no row comes back).
SELECT username::text AS username, status
FROM users
WHERE username = ANY($1::text[])

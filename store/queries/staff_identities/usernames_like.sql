-- Usernames that are $1 or $1 followed by "-" and a number: a new staff account takes the first free one.
SELECT lower(username::text) AS username
FROM users
WHERE username = $1::text::citext OR username::text ILIKE $1 || '-%'

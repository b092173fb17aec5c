-- How many sessions each of the usernames in $1 has that were not ended (revoked).
SELECT u.username::text AS username, count(s.id_digest) FILTER (WHERE s.revoked_at IS NULL) AS sessions
FROM users AS u
LEFT JOIN sessions AS s ON s.user_id = u.id
WHERE u.username = ANY($1::text[])
GROUP BY u.username

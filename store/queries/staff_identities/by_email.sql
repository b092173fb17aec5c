-- The account holding address $1, and whether a provider identity is linked to it already.
SELECT u.id, u.status, EXISTS (SELECT 1 FROM staff_identities AS s WHERE s.user_id = u.id) AS linked
FROM users AS u
WHERE u.email = $1::text::citext
FOR UPDATE OF u

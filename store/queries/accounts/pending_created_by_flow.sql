-- The pending account this very flow already created for this provider with this email:
-- an activity retried after its reply was lost finds its own work here. $1 username,
-- $2 provider id, $3 email, $4 workflow id.
SELECT u.id
FROM users AS u
JOIN provider_members AS m ON m.user_id = u.id AND m.provider_id = $2
WHERE u.created_by_flow = $4
  AND u.username = $1::text::citext
  AND u.email = $3::text::citext
  AND u.status = 'pending'

-- Administrator of the provider with NPI $2 (a member as well); nothing when there is no such provider.
INSERT INTO provider_members (user_id, provider_id, is_admin)
SELECT $1, p.id, true
FROM providers AS p
WHERE p.npi = $2
ON CONFLICT (user_id, provider_id) DO UPDATE SET is_admin = true
WHERE NOT provider_members.is_admin
RETURNING provider_id

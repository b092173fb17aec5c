-- No longer administrator of the provider with NPI $2 (still a member).
UPDATE provider_members AS m
SET is_admin = false
FROM providers AS p
WHERE m.user_id = $1 AND m.provider_id = p.id AND p.npi = $2 AND m.is_admin
RETURNING m.provider_id

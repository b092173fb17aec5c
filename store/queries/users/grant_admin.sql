-- Granting admin to someone not yet a member makes them a member as well.
INSERT INTO provider_members (user_id, provider_id, is_admin)
VALUES ($1, $2, true)
ON CONFLICT (user_id, provider_id) DO UPDATE SET is_admin = true

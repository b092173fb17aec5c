INSERT INTO provider_members (user_id, provider_id, is_admin)
VALUES ($1, $2, $3)

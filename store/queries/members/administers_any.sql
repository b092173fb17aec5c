SELECT EXISTS (SELECT 1 FROM provider_members WHERE user_id = $1 AND is_admin)

SELECT EXISTS (SELECT 1 FROM staff_identities WHERE user_id = $1)

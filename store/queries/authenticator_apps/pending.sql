SELECT pending_sealed FROM authenticator_apps WHERE user_id = $1

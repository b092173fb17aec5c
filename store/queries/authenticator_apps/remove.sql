DELETE FROM authenticator_apps WHERE user_id = $1

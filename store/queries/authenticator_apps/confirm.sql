-- The pending app's first code was right: it is the app in use from now on, that code spent.
UPDATE authenticator_apps
SET secret_sealed = pending_sealed, pending_sealed = NULL, confirmed_at = now(),
    last_used_step = $2, last_used_by = $3, updated_at = now()
WHERE user_id = $1 AND pending_sealed IS NOT NULL
RETURNING user_id

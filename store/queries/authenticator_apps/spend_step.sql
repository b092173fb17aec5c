-- A code of the app in use was right: its step, and every earlier one, is spent.
UPDATE authenticator_apps
SET last_used_step = $2, last_used_by = $3, updated_at = now()
WHERE user_id = $1 AND secret_sealed IS NOT NULL AND last_used_step < $2
RETURNING user_id

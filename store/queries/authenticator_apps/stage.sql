-- A new app being set up: pending beside the one in use, until a code from it confirms it.
INSERT INTO authenticator_apps (user_id, pending_sealed)
VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE
SET pending_sealed = EXCLUDED.pending_sealed, updated_at = now()

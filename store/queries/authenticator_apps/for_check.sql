-- Locked: two codes checked at once for one account are taken one after the other.
SELECT secret_sealed, pending_sealed, last_used_step, last_used_by
FROM authenticator_apps
WHERE user_id = $1
FOR UPDATE

-- A code is taken once; the activity that took it may take it again (its retry after a crash).
UPDATE recovery_codes
SET used_at = coalesce(used_at, now()), used_by = $3
WHERE user_id = $1 AND code_digest = $2 AND (used_at IS NULL OR used_by = $3)
RETURNING user_id

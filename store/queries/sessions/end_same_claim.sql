-- Before a session from claim $1 starts (after lock_claim, in the same transaction): the
-- session an earlier sign-in from it left ends.
UPDATE sessions SET revoked_at = now()
WHERE from_claim = $1 AND revoked_at IS NULL

-- The claim a finished flow's sign-in came from (a digest of the browser's binding to the
-- flow). The same browser may claim again when the answer to its first claim was lost, or
-- when it pressed twice at once: its new session replaces the one before, so one claim never
-- leaves two live sessions (api/flow_sign_in.py).
ALTER TABLE sessions ADD COLUMN from_claim text
    CONSTRAINT sessions_claim_is_hmac CHECK (from_claim ~ '^[0-9a-f]{64}$');
CREATE UNIQUE INDEX sessions_one_live_per_claim ON sessions (from_claim)
    WHERE revoked_at IS NULL AND from_claim IS NOT NULL;

-- Second factors beside the guide's phone and email (issue 10): an authenticator app (TOTP)
-- and the recovery codes that stand in for it once each.
--
-- The app's secret is sealed (AES-GCM under a key derived from SECRET_KEY, the account's id
-- as associated data), never stored in clear. A new app is pending until the person types a
-- code from it; only then does it replace the one in use, so a setup left half way never
-- breaks the app that signs in. last_used_step is the time step of the last code accepted,
-- so a code is refused a second time, and so is any earlier one; last_used_by names the
-- activity that accepted it, so that activity's retry after a crash is not refused.
ALTER TABLE users DROP CONSTRAINT users_mfa_method_known;
ALTER TABLE users ADD CONSTRAINT users_mfa_method_known CHECK (mfa_method IN ('phone', 'email', 'app'));

CREATE TABLE authenticator_apps (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  bytea,
    pending_sealed bytea,
    confirmed_at   timestamptz,
    last_used_step bigint NOT NULL DEFAULT 0,
    last_used_by   text NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT authenticator_apps_some_secret CHECK (secret_sealed IS NOT NULL OR pending_sealed IS NOT NULL),
    CONSTRAINT authenticator_apps_confirmed_in_use CHECK ((secret_sealed IS NULL) = (confirmed_at IS NULL))
);

-- Only the keyed digest of each code (domain/recovery_codes.py); a used code stays, marked,
-- until the next set replaces them all.
CREATE TABLE recovery_codes (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_digest text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    used_by     text,  -- the activity that took it: its retry is not refused
    PRIMARY KEY (user_id, code_digest),
    CONSTRAINT recovery_codes_digest_shape CHECK (code_digest ~ '^[0-9a-f]{64}$')
);

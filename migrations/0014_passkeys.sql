-- Passkeys (WebAuthn, issue 10): a person may have several, each named. Only public data is
-- kept: the credential's id and public key, its sign counter (a counter that goes backwards
-- means a cloned authenticator), and whether it is backed up (synced to other devices).
ALTER TABLE users DROP CONSTRAINT users_mfa_method_known;
ALTER TABLE users ADD CONSTRAINT users_mfa_method_known CHECK (mfa_method IN ('phone', 'email', 'app', 'passkey'));

CREATE TABLE passkeys (
    credential_id  bytea PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key     bytea NOT NULL,
    sign_count     bigint NOT NULL DEFAULT 0,
    backed_up      boolean NOT NULL,
    device_type    text NOT NULL,
    transports     text[] NOT NULL DEFAULT '{}',
    name           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz,
    -- The flow activities that added it and last signed in with it: a retry of either after
    -- a crash finds its own work instead of a refusal.
    added_by       text NOT NULL DEFAULT '',
    last_used_by   text NOT NULL DEFAULT '',
    CONSTRAINT passkeys_name_present CHECK (btrim(name) <> '' AND char_length(name) <= 60),
    CONSTRAINT passkeys_device_type_known CHECK (device_type IN ('single_device', 'multi_device'))
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

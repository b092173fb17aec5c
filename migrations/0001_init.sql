-- Schema for providers, users and their security state (DESIGN.md §5).
-- No column ever holds a plaintext password, code or token: passwords and registration
-- codes are argon2id hashes, tokens and session ids are 64-hex HMAC digests, and the
-- CHECK constraints below refuse anything else.

CREATE EXTENSION IF NOT EXISTS citext;

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE providers (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    npi                    text NOT NULL,
    name                   text NOT NULL,
    registration_code_hash text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT providers_npi_unique UNIQUE (npi),
    CONSTRAINT providers_npi_is_10_digits CHECK (npi ~ '^[0-9]{10}$'),
    CONSTRAINT providers_name_present CHECK (btrim(name) <> ''),
    CONSTRAINT providers_registration_code_is_argon2id
        CHECK (registration_code_hash LIKE '$argon2id$%')
);

CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- citext: "JDoe" and "jdoe" are one account, and the unique index enforces it even
    -- when two registrations race.
    username            citext NOT NULL,
    first_name          text NOT NULL,
    last_name           text NOT NULL,
    address1            text,
    address2            text,
    city                text,
    state               text,
    zip                 text,
    email               citext,
    phone               text,
    fax                 text,
    -- pending: registration started but not completed; only active users may log in.
    status              text NOT NULL DEFAULT 'pending',
    mfa_method          text,
    mfa_phone           text,
    email_verified_at   timestamptz,
    password_hash       text,
    password_changed_at timestamptz,
    terms_version       text,
    terms_accepted_at   timestamptz,
    -- Legacy users predate MFA: they log in once with their old password to enroll.
    is_legacy           boolean NOT NULL DEFAULT false,
    is_staff            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_unique UNIQUE (username),
    CONSTRAINT users_email_unique UNIQUE (email),
    CONSTRAINT users_username_shape
        CHECK (char_length(username) BETWEEN 1 AND 100 AND username::text !~ '\s'),
    CONSTRAINT users_names_present CHECK (btrim(first_name) <> '' AND btrim(last_name) <> ''),
    CONSTRAINT users_state_is_2_letters CHECK (state ~ '^[A-Z]{2}$'),
    CONSTRAINT users_zip_is_5_or_9_digits CHECK (zip ~ '^[0-9]{5}(-?[0-9]{4})?$'),
    CONSTRAINT users_phone_is_us_e164 CHECK (phone ~ '^\+1[0-9]{10}$'),
    CONSTRAINT users_fax_is_us_e164 CHECK (fax ~ '^\+1[0-9]{10}$'),
    CONSTRAINT users_mfa_phone_is_us_e164 CHECK (mfa_phone ~ '^\+1[0-9]{10}$'),
    CONSTRAINT users_status_known CHECK (status IN ('pending', 'active', 'disabled')),
    CONSTRAINT users_mfa_method_known CHECK (mfa_method IN ('phone', 'email')),
    CONSTRAINT users_phone_method_has_phone
        CHECK (mfa_method IS DISTINCT FROM 'phone' OR mfa_phone IS NOT NULL),
    CONSTRAINT users_password_is_argon2id CHECK (password_hash LIKE '$argon2id$%'),
    CONSTRAINT users_terms_accepted_together
        CHECK ((terms_version IS NULL) = (terms_accepted_at IS NULL))
);

CREATE TRIGGER users_set_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE provider_members (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id bigint NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    is_admin    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, provider_id)
);

-- "Manage users" lists a provider's members; the primary key only serves user -> providers.
CREATE INDEX provider_members_provider_id ON provider_members (provider_id);

CREATE TABLE remember_me_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_digest text NOT NULL,
    -- Remember Me only skips MFA for the login option it was set with (guide §5).
    login_option text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT remember_me_tokens_digest_unique UNIQUE (token_digest),
    CONSTRAINT remember_me_tokens_digest_is_hmac CHECK (token_digest ~ '^[0-9a-f]{64}$'),
    CONSTRAINT remember_me_tokens_login_option_known CHECK (login_option IN ('phone', 'email')),
    CONSTRAINT remember_me_tokens_expire_after_creation CHECK (expires_at > created_at)
);

-- Password and admin resets revoke every live token of one user.
CREATE INDEX remember_me_tokens_live_by_user
    ON remember_me_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
    id_digest           text PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    idle_expires_at     timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    revoked_at          timestamptz,
    user_agent          text,
    client_ip           inet,
    CONSTRAINT sessions_id_is_hmac CHECK (id_digest ~ '^[0-9a-f]{64}$'),
    CONSTRAINT sessions_idle_within_absolute CHECK (idle_expires_at <= absolute_expires_at)
);

-- Password and admin resets revoke every live session of one user.
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
-- Sweeping expired sessions.
CREATE INDEX sessions_absolute_expiry ON sessions (absolute_expires_at);

-- Failure counters per account and per client (keys such as 'login:user:<uuid>' or
-- 'login:ip:<addr>'); a row is the current window for that key.
CREATE TABLE throttles (
    key               text PRIMARY KEY,
    failures          integer NOT NULL DEFAULT 0,
    window_started_at timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz,
    CONSTRAINT throttles_failures_not_negative CHECK (failures >= 0)
);

CREATE TABLE audit_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    event           text NOT NULL,
    -- No foreign keys: the trail must outlive the users it mentions, and ON DELETE
    -- SET NULL would be an UPDATE, which the trail refuses.
    actor_user_id   uuid,
    subject_user_id uuid,
    client_ip       inet,
    detail          jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT audit_events_event_present CHECK (btrim(event) <> ''),
    CONSTRAINT audit_events_detail_is_object CHECK (jsonb_typeof(detail) = 'object')
);

CREATE INDEX audit_events_subject_at ON audit_events (subject_user_id, at);
CREATE INDEX audit_events_actor_at ON audit_events (actor_user_id, at);
CREATE INDEX audit_events_event_at ON audit_events (event, at);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

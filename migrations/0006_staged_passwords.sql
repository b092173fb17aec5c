-- A new password on its way into an account. The edge checks and hashes it and leaves the
-- hash here, under the flow's id; the flow, once it has authorised the step, has it moved
-- into users by an activity that knows which flow called. So no password hash rides in a
-- workflow's history, where it would live for the retention period, open to any codec user.
-- A row lives minutes: the edge removes it once the flow answered, and housekeeping removes
-- any left behind.
CREATE TABLE staged_passwords (
    flow_id       text PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    expires_at    timestamptz NOT NULL,
    CONSTRAINT staged_passwords_hash_is_argon2id CHECK (password_hash LIKE '$argon2id$%')
);

CREATE INDEX staged_passwords_expires_at ON staged_passwords (expires_at);

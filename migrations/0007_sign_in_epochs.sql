-- When an account's sign-ins were last ended by a reset or by disabling it: a login or an
-- enrollment bound before that moment cannot finish into a session (api/sessions.py).
ALTER TABLE users ADD COLUMN sign_ins_revoked_at timestamptz;

-- When the person really proved who they are. A Remember Me sign-in carries the time of the
-- login that set it, so the absolute session limit (12 h) counts from that login, not from
-- each remembered visit. NULL: the session's own creation.
ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz;
ALTER TABLE remember_me_tokens ADD COLUMN authenticated_at timestamptz;

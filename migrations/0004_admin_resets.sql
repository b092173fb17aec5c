-- A provider administrator's "Reset Registration" of one of their users (guide, "Provider
-- Administrator Reset Registration"). One row per run of the admin reset flow, written by its
-- activities, so the Manage Users page can say "Reset pending since ..." or "Re-registered on
-- ..." without asking Temporal.
CREATE TABLE admin_resets (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The admin who asked; kept (NULL) if that admin's account is ever deleted.
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    requested_at timestamptz NOT NULL,
    flow_id      text NOT NULL,
    -- A retried activity finds its run's row by this instead of adding a second one.
    run_id       text NOT NULL,
    state        text NOT NULL DEFAULT 'pending',
    ended_at     timestamptz,
    CONSTRAINT admin_resets_run_unique UNIQUE (run_id),
    CONSTRAINT admin_resets_state_known
        CHECK (state IN ('pending', 're_registered', 'expired', 'cancelled', 'restarted')),
    CONSTRAINT admin_resets_ended_unless_pending CHECK ((state = 'pending') = (ended_at IS NULL))
);

-- At most one reset of a user is pending: a new one closes the one before.
CREATE UNIQUE INDEX admin_resets_one_pending_per_user ON admin_resets (user_id) WHERE state = 'pending';
-- Manage Users shows each user's latest reset.
CREATE INDEX admin_resets_user_latest ON admin_resets (user_id, requested_at DESC);

-- Who may act on whom: one row per (administrator, provider, member) with the member's
-- latest reset. Manage Users lists from it, and the authorisation check reads the same rows,
-- so the page never shows a user the check would refuse, or the other way round.
CREATE VIEW managed_members AS
SELECT admin.user_id AS admin_id,
       p.id AS provider_id, p.npi AS provider_npi, p.name AS provider_name,
       u.id, u.username::text AS username, u.first_name, u.last_name, u.email::text AS email,
       u.status, u.mfa_method, member.is_admin,
       r.state AS reset_state, r.requested_at AS reset_requested_at, r.ended_at AS reset_ended_at
FROM provider_members AS admin
JOIN providers AS p ON p.id = admin.provider_id
JOIN provider_members AS member ON member.provider_id = admin.provider_id
JOIN users AS u ON u.id = member.user_id
LEFT JOIN LATERAL (
    SELECT state, requested_at, ended_at
    FROM admin_resets
    WHERE user_id = u.id
    ORDER BY requested_at DESC, id DESC
    LIMIT 1
) AS r ON true
WHERE admin.is_admin;

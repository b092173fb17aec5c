-- The registration flow that created an account (every run of a flow support restarted shares
-- its id), kept on the account itself: a restarted run, and a retried creation, find their
-- account by it through an index instead of reading the audit trail's JSON. Accounts made
-- before are given theirs from the trail.
ALTER TABLE users ADD COLUMN created_by_flow text;

UPDATE users AS u
SET created_by_flow = made.flow
FROM (
    SELECT DISTINCT ON (e.detail ->> 'flow') e.detail ->> 'flow' AS flow, e.subject_user_id
    FROM audit_events AS e
    JOIN users AS x ON x.id = e.subject_user_id
    WHERE e.event = 'registration.account_created' AND coalesce(e.detail ->> 'flow', '') <> ''
    ORDER BY e.detail ->> 'flow', e.at DESC, e.id DESC
) AS made
WHERE u.id = made.subject_user_id;

CREATE UNIQUE INDEX users_created_by_flow ON users (created_by_flow) WHERE created_by_flow IS NOT NULL;

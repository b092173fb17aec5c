-- Audit events one registration writes once per flow, written more than once for the same
-- account and flow: a step recorded twice (a retried write that had already committed).
SELECT u.username::text AS username, e.event, count(*) AS times
FROM audit_events AS e
JOIN users AS u ON u.id = e.subject_user_id
WHERE e.event IN ('registration.account_created', 'registration.email_link_clicked', 'password.created', 'mfa.registered')
GROUP BY u.username, e.event, e.detail ->> 'flow'
HAVING count(*) > 1
ORDER BY u.username, e.event

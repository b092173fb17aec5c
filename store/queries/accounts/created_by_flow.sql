-- The account a registration flow created (every run of a restarted flow shares its id), if
-- it still exists, with what is saved of it. $1 workflow id.
SELECT a.id::text AS account_id,
       a.status,
       coalesce(a.email, '') AS email,
       a.first_name,
       a.email_verified,
       a.has_new_password AS has_password
FROM account_view AS a
WHERE a.id IN (
    SELECT e.subject_user_id
    FROM audit_events AS e
    WHERE e.event = 'registration.account_created'
      AND e.detail ->> 'flow' = $1
)
LIMIT 1

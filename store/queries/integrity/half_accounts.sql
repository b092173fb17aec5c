-- Accounts a registration left half made: active without what finishing registration sets
-- (a verified email, a password, an MFA method, the terms), or made by a registration
-- without the audit row that says so. Legacy imports predate registration and are left out.
SELECT u.username::text AS username,
       CASE
           WHEN NOT EXISTS (SELECT 1 FROM audit_events AS e
                            WHERE e.subject_user_id = u.id AND e.event = 'registration.account_created')
               THEN 'no registration.account_created audit row'
           ELSE 'active without ' || concat_ws(', ',
                CASE WHEN u.email_verified_at IS NULL THEN 'a verified email' END,
                CASE WHEN u.password_hash IS NULL THEN 'a password' END,
                CASE WHEN u.mfa_method IS NULL THEN 'an MFA method' END,
                CASE WHEN u.terms_accepted_at IS NULL THEN 'accepted terms' END)
       END AS problem
FROM users AS u
WHERE NOT u.is_legacy
  AND (NOT EXISTS (SELECT 1 FROM audit_events AS e
                   WHERE e.subject_user_id = u.id AND e.event = 'registration.account_created')
       OR (u.status = 'active' AND (u.email_verified_at IS NULL OR u.password_hash IS NULL
                                    OR u.mfa_method IS NULL OR u.terms_accepted_at IS NULL)))
ORDER BY u.username

-- What the web edge reads about an account, in one place: the lookups by username, email
-- and id differ only in their WHERE clause.
CREATE VIEW account_view AS
SELECT u.id, u.username::text AS username, u.first_name, u.last_name, u.email::text AS email,
       u.status, u.mfa_method, u.mfa_phone,
       u.email_verified_at IS NOT NULL AS email_verified,
       -- Set when a password is created in the portal; an imported legacy one leaves it NULL.
       u.password_changed_at IS NOT NULL AS has_new_password,
       u.terms_accepted_at IS NOT NULL AS terms_accepted,
       u.is_legacy, u.is_staff, u.password_hash,
       ARRAY(SELECT p.npi
             FROM provider_members AS m
             JOIN providers AS p ON p.id = m.provider_id
             WHERE m.user_id = u.id
             ORDER BY p.npi) AS provider_npis
FROM users AS u;

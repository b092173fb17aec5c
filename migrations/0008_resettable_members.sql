-- Whom a provider administrator may reset: not support staff (their accounts are the
-- portal owner's to manage), and not someone who also belongs to a provider this
-- administrator does not administer (another organisation's administrator decides for
-- them there). Manage Users still lists them; the reset is refused.
CREATE OR REPLACE VIEW managed_members AS
SELECT admin.user_id AS admin_id,
       p.id AS provider_id, p.npi AS provider_npi, p.name AS provider_name,
       u.id, u.username::text AS username, u.first_name, u.last_name, u.email::text AS email,
       u.status, u.mfa_method, member.is_admin,
       r.state AS reset_state, r.requested_at AS reset_requested_at, r.ended_at AS reset_ended_at,
       NOT u.is_staff AND NOT EXISTS (
           SELECT 1
           FROM provider_members AS elsewhere
           WHERE elsewhere.user_id = u.id
             AND NOT EXISTS (
                 SELECT 1
                 FROM provider_members AS mine
                 WHERE mine.user_id = admin.user_id
                   AND mine.provider_id = elsewhere.provider_id
                   AND mine.is_admin
             )
       ) AS resettable
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

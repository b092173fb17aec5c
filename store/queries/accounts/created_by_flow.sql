-- The account a registration flow created (every run of a restarted flow shares its id), if
-- it still exists, with what is saved of it. $1 workflow id.
SELECT a.id::text AS account_id,
       a.status,
       coalesce(a.email, '') AS email,
       a.first_name,
       a.email_verified,
       a.has_new_password AS has_password
FROM account_view AS a
JOIN users AS u ON u.id = a.id
WHERE u.created_by_flow = $1

-- What is saved of one account's enrollment. $1 account id.
SELECT a.id::text AS account_id,
       a.status,
       coalesce(a.email, '') AS email,
       a.first_name,
       a.email_verified,
       a.has_new_password AS has_password
FROM account_view AS a
WHERE a.id = $1

-- Every member of every provider $1 administers, with their latest admin reset. A user of
-- two such providers appears under each. The admin's own row is included (marked by the
-- caller): the page lists it but offers no reset.
SELECT provider_id, provider_npi, provider_name, id, username, first_name, last_name, email,
       status, mfa_method, is_admin, reset_state, reset_requested_at, reset_ended_at, resettable
FROM managed_members
WHERE admin_id = $1
ORDER BY provider_name, provider_id, last_name, first_name, username

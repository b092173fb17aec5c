-- User $2 as admin $1 may act on them: only when $2 is a member of a provider that $1
-- administers, and not $1 themselves. No row otherwise, whatever the reason (unknown id,
-- another provider's user), so the answer cannot tell them apart.
SELECT DISTINCT ON (id)
       provider_id, provider_npi, provider_name, id, username, first_name, last_name, email,
       status, mfa_method, is_admin, reset_state, reset_requested_at, reset_ended_at, resettable
FROM managed_members
WHERE admin_id = $1 AND id = $2 AND id <> $1
ORDER BY id, provider_name, provider_id

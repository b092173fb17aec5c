-- The latest password typed for flow $1 replaces an earlier one. $4 how long it may wait.
INSERT INTO staged_passwords (flow_id, account_id, password_hash, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
ON CONFLICT (flow_id) DO UPDATE
SET account_id = excluded.account_id,
    password_hash = excluded.password_hash,
    expires_at = excluded.expires_at

-- Move the password staged for flow $1 into account $2, if it is still fresh and was staged
-- for that very account. Applying it again (an activity retried) sets the same hash again.
UPDATE users AS u
SET password_hash = s.password_hash, password_changed_at = now()
FROM staged_passwords AS s
WHERE s.flow_id = $1
  AND s.account_id = $2
  AND s.expires_at > now()
  AND u.id = s.account_id
RETURNING u.id

-- detail arrives as JSON text so this works whether or not the pool has a jsonb codec.
-- $6: the activity writing it (NULL outside one); its retry writes nothing and returns no id.
INSERT INTO audit_events (event, actor_user_id, subject_user_id, client_ip, detail, activity_key)
VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)
ON CONFLICT (activity_key) WHERE activity_key IS NOT NULL DO NOTHING
RETURNING id

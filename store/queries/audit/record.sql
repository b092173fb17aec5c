-- detail arrives as JSON text so this works whether or not the pool has a jsonb codec.
INSERT INTO audit_events (event, actor_user_id, subject_user_id, client_ip, detail)
VALUES ($1, $2, $3, $4, $5::text::jsonb)
RETURNING id

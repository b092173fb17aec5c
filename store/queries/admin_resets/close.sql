-- End this run's reset; a retry finds it ended already and changes nothing.
UPDATE admin_resets
SET state = $2, ended_at = now()
WHERE run_id = $1 AND state = 'pending'
RETURNING user_id

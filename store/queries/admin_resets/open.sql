-- This run's reset, pending from $4. A retry of the same run finds its row (run_id is unique)
-- and gets no id back.
INSERT INTO admin_resets (user_id, requested_by, requested_at, flow_id, run_id)
VALUES ($1, $2, $4, $3, $5)
ON CONFLICT (run_id) DO NOTHING
RETURNING id

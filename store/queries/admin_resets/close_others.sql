-- A reset that is still pending for this user but belongs to another run was replaced by this
-- one (its flow restarts before the new run opens, so this only catches a run that was
-- stopped without its cleanup, e.g. terminated).
UPDATE admin_resets
SET state = 'restarted', ended_at = now()
WHERE user_id = $1 AND state = 'pending' AND run_id <> $2

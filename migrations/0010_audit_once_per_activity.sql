-- An audit row written by a workflow activity names the scheduled activity (and its event):
-- a retry of a write that had committed — its worker died, or Temporal was away when it
-- finished — adds nothing (activities/postgres.py). Rows from the API have none.
ALTER TABLE audit_events ADD COLUMN activity_key text;
CREATE UNIQUE INDEX audit_events_once_per_activity ON audit_events (activity_key) WHERE activity_key IS NOT NULL;

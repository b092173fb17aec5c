-- Throttles reserve an attempt before it is checked (so parallel requests cannot all read
-- "open"), slow clients down instead of locking them out, and let old lockouts decay.
--
-- failures counts the attempts reserved in the current window; last_attempt_at is when the
-- latest was reserved (a lockout level decays with quiet time, and idle rows are purged);
-- next_slot_at is when a slowed-down key may try next.
--
-- Keys used to hold typed emails and usernames in clear: they name keyed digests now, and
-- the old rows (short-lived counters) go.
DELETE FROM throttles;

ALTER TABLE throttles
    ADD COLUMN last_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN next_slot_at timestamptz;

CREATE INDEX throttles_last_attempt_at ON throttles (last_attempt_at);

-- Sign-ins from one flow claim ($1) one at a time: a second press waits here until the first
-- commits. Its own statement, so the end_same_claim that follows sees what the first wrote.
SELECT pg_advisory_xact_lock(hashtextextended('session claim ' || $1, 0))

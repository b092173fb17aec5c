-- Held for the whole run so two migrators (two replicas starting at once) never interleave.
SELECT pg_advisory_lock(hashtextextended('atrezzo.migrate', 0))

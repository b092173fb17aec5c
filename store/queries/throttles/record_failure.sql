-- One failure for key $1, counted atomically: concurrent failures queue on the row and
-- each sees the one before. $2 limit, $3 window, $4 the clock (NULL: the database's),
-- $5 first lock, $6 longest lock.
--
-- Smart lockout: `limit` failures within a window lock the key; after a lock ends, the
-- first failure within a window of its end locks again, each lock twice as long as the
-- one before, up to the longest. Failures while locked are not counted (the caller
-- refuses those attempts unchecked) and return no row; otherwise the row says how long
-- this failure locked the key, NULL when it did not.
WITH clock AS (SELECT coalesce($4::timestamptz, now()) AS now)
INSERT INTO throttles AS t (key, failures, window_started_at, locked_until, lockouts)
SELECT $1, 1, clock.now,
       CASE WHEN 1 >= $2 THEN clock.now + $5::interval END,
       CASE WHEN 1 >= $2 THEN 1 ELSE 0 END
FROM clock
ON CONFLICT (key) DO UPDATE
SET (failures, window_started_at, locked_until, lockouts) = (
    SELECT next.failures,
           CASE WHEN next.restart THEN clock.now ELSE t.window_started_at END,
           CASE WHEN next.locks
                THEN clock.now + least($5::interval * 2 ^ least(t.lockouts, 30), $6::interval)
           END,
           t.lockouts + next.locks::int
    FROM clock
    CROSS JOIN LATERAL (
        -- A window runs from its first failure, or from the end of the last lock.
        SELECT coalesce(t.locked_until, t.window_started_at) + $3::interval <= clock.now
               AS restart
    ) AS since
    CROSS JOIN LATERAL (
        SELECT since.restart,
               CASE WHEN since.restart THEN 1 ELSE t.failures + 1 END AS failures,
               CASE WHEN since.restart THEN 1 >= $2
                    ELSE t.locked_until IS NOT NULL OR t.failures + 1 >= $2
               END AS locks
    ) AS next
)
WHERE t.locked_until IS NULL
   OR t.locked_until <= (SELECT now FROM clock)
RETURNING t.locked_until - (SELECT now FROM clock) AS lock

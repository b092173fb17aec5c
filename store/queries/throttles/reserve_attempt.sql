-- Reserve one attempt on lock key $1 before the secret is checked: concurrent attempts queue
-- on the row and each sees the one before, so no burst of parallel requests gets past the
-- limit. $2 limit, $3 window, $4 the clock (NULL: the database's), $5 first lock, $6 longest
-- lock, $7 how long a quiet key takes to forget one lockout.
--
-- Smart lockout: the limit-th attempt within a window locks the key (that attempt itself
-- is still checked); after a lock ends, the first attempt within a window of its end locks
-- again, each lock twice as long as the one before, up to the longest. The lock level
-- decays by one for every $7 without attempts. While locked, nothing is reserved and no row
-- comes back (locked_for.sql says for how long); otherwise the row says how long this
-- attempt locked the key, NULL when it did not.
WITH clock AS (SELECT coalesce($4::timestamptz, now()) AS now)
INSERT INTO throttles AS t (key, failures, window_started_at, locked_until, lockouts, last_attempt_at)
SELECT $1, 1, clock.now,
       CASE WHEN 1 >= $2 THEN clock.now + $5::interval END,
       CASE WHEN 1 >= $2 THEN 1 ELSE 0 END,
       clock.now
FROM clock
ON CONFLICT (key) DO UPDATE
SET (failures, window_started_at, locked_until, lockouts, last_attempt_at) = (
    SELECT next.failures,
           CASE WHEN next.restart THEN clock.now ELSE t.window_started_at END,
           CASE WHEN next.locks
                THEN clock.now + least($5::interval * 2 ^ least(decayed.lockouts, 30), $6::interval)
           END,
           decayed.lockouts + next.locks::int,
           greatest(t.last_attempt_at, clock.now)
    FROM clock
    CROSS JOIN LATERAL (
        -- Transactions that queued on the row may carry a clock a moment older than the
        -- attempt before them: quiet time is never negative.
        SELECT greatest(
                   t.lockouts - floor(greatest(extract(epoch FROM clock.now - t.last_attempt_at), 0)
                                      / extract(epoch FROM $7::interval))::int,
                   0) AS lockouts
    ) AS decayed
    CROSS JOIN LATERAL (
        -- A window runs from its first attempt, or from the end of the last lock.
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

-- Reserve one attempt on slow-down key $1: the first $2 attempts within a window go at once;
-- each one after that waits for a slot, and the gap between slots doubles from $5 up to $6.
-- A slot further away than $7 is refused (no row comes back, nothing is counted; slot_at.sql
-- says when the next one opens). Otherwise the row says how long this attempt waits.
-- $3 window (a key quiet for that long starts over), $4 the clock (NULL: the database's).
--
-- Slots queue on the row, so parallel attempts wait one after another instead of together:
-- a client is slowed down, never locked out, and everyone else behind the same address
-- (one office's NAT) only waits.
WITH clock AS (SELECT coalesce($4::timestamptz, now()) AS now)
INSERT INTO throttles AS t (key, failures, window_started_at, last_attempt_at, next_slot_at)
SELECT $1, 1, clock.now, clock.now,
       CASE WHEN 1 >= $2 THEN clock.now + $5::interval END
FROM clock
ON CONFLICT (key) DO UPDATE
SET (failures, window_started_at, last_attempt_at, next_slot_at) = (
    SELECT next.attempts,
           CASE WHEN next.restart THEN clock.now ELSE t.window_started_at END,
           greatest(t.last_attempt_at, clock.now),
           CASE WHEN next.attempts >= $2
                THEN next.slot + least($5::interval * 2 ^ least(next.attempts - $2, 30), $6::interval)
           END
    FROM clock
    CROSS JOIN LATERAL (
        SELECT t.last_attempt_at + $3::interval <= clock.now AS restart
    ) AS since
    CROSS JOIN LATERAL (
        SELECT CASE WHEN since.restart THEN 1 ELSE t.failures + 1 END AS attempts,
               CASE WHEN since.restart THEN clock.now
                    ELSE greatest(clock.now, coalesce(t.next_slot_at, clock.now))
               END AS slot,
               since.restart
    ) AS next
)
WHERE t.last_attempt_at + $3::interval <= (SELECT now FROM clock)
   OR coalesce(t.next_slot_at, (SELECT now FROM clock)) - (SELECT now FROM clock) <= $7::interval
-- This attempt's slot: the next one minus the gap this attempt added.
RETURNING CASE WHEN t.failures >= $2
               THEN greatest(t.next_slot_at
                             - least($5::interval * 2 ^ least(t.failures - $2, 30), $6::interval)
                             - (SELECT now FROM clock),
                             interval '0')
               ELSE interval '0'
          END AS wait

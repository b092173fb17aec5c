-- Rows nobody has tried for $1 and that hold no running lock: their windows have closed and
-- their lockout levels have decayed, so they count for nothing any more. $2 the clock.
WITH purged AS (
    DELETE FROM throttles
    WHERE last_attempt_at < coalesce($2::timestamptz, now()) - $1::interval
      AND (locked_until IS NULL OR locked_until <= coalesce($2::timestamptz, now()))
    RETURNING 1
)
SELECT count(*) FROM purged

-- Whether claim $1 may not sign in again ($3 the clock, NULL: the database's): it made a
-- session before, and none of its sessions is live any more (signed out, ended by a reset) or
-- its first began more than $2 ago. Only the same browser pressing again soon, because the
-- answer to its first sign-in was lost, signs in from a claim twice.
SELECT EXISTS (SELECT 1 FROM sessions WHERE from_claim = $1)
   AND (NOT EXISTS (SELECT 1 FROM sessions WHERE from_claim = $1 AND revoked_at IS NULL)
        OR EXISTS (SELECT 1 FROM sessions
                   WHERE from_claim = $1 AND created_at < coalesce($3::timestamptz, now()) - $2::interval))

-- Whether account $1 may be signed in now, and since when its sign-ins were last ended. The
-- row is share-locked until the session is written: a reset ending sign-ins at this moment
-- waits for it, then ends it too.
SELECT status, sign_ins_revoked_at
FROM users
WHERE id = $1
FOR SHARE

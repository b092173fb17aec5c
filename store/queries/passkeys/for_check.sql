-- Locked: two answers signed by one passkey are checked one after the other.
SELECT public_key, sign_count, last_used_by FROM passkeys WHERE credential_id = $1 AND user_id = $2 FOR UPDATE

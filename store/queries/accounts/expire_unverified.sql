-- Memberships go with the user (ON DELETE CASCADE). Only a registration nobody verified.
DELETE FROM users
WHERE id = $1 AND status = 'pending' AND email_verified_at IS NULL
RETURNING id

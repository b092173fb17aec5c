-- Memberships go with the user (ON DELETE CASCADE); an account that finished registering stays.
DELETE FROM users
WHERE id = $1 AND status = 'pending'
RETURNING id

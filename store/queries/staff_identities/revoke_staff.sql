UPDATE users
SET is_staff = false
WHERE id = $1 AND is_staff
RETURNING id

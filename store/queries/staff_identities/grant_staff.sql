UPDATE users
SET is_staff = true
WHERE id = $1 AND NOT is_staff
RETURNING id

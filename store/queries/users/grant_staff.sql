UPDATE users
SET is_staff = true
WHERE username = $1::text::citext
RETURNING id

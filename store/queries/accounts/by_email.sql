-- The unique citext index on users finds the row; the view shapes it.
SELECT * FROM account_view WHERE id = (SELECT id FROM users WHERE email = $1::text::citext)

-- Changes to one account's second factors, one at a time.
SELECT 1 FROM users WHERE id = $1 FOR UPDATE

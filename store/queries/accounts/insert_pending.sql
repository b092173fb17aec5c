-- Optional contact fields arrive as '' from the form; NULL keeps their CHECKs for real values.
-- $12: the registration flow creating it ('' outside one).
INSERT INTO users (username, first_name, last_name, address1, address2, city, state, zip,
                   email, phone, fax, status, created_by_flow)
VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), nullif($6, ''), nullif($7, ''),
        nullif($8, ''), $9, nullif($10, ''), $11, 'pending', nullif($12, ''))
RETURNING id

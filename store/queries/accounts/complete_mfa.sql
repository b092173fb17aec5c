-- The method and its phone change together; only a pending account becomes active (a
-- disabled one stays disabled).
UPDATE users
SET mfa_method = $2,
    mfa_phone = CASE WHEN $2 = 'phone' THEN $3 END,
    status = CASE status WHEN 'pending' THEN 'active' ELSE status END
WHERE id = $1
RETURNING id

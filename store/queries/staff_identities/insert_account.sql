-- A staff member's first sign-in with no portal account yet: one without portal roles
-- (`atrezzo user grant-staff` / `grant-admin`, or a mapped group, give them).
INSERT INTO users (username, first_name, last_name, email, status, email_verified_at)
VALUES ($1, $2, $3, $4, 'active', now())
RETURNING id

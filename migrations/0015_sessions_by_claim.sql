-- Every session a flow claim made, revoked ones too: a claim signs in once, and again only
-- soon after its first sign-in (its answer was lost). A Login with Email's claim is held by
-- the edge between "E-mail address verified" and Continue, so the database tells its first use
-- (store/sessions.py).
CREATE INDEX sessions_by_claim ON sessions (from_claim, created_at) WHERE from_claim IS NOT NULL;

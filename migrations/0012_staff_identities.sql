-- Staff single sign-on (the Kepro box's LOGIN): who a portal account is at the identity
-- provider. The provider's (issuer, subject) names a person for good, where an email address
-- can be handed to someone else; so an account is found by it, and linked by verified email
-- only once, at its first sign-in. One identity per account.
CREATE TABLE staff_identities (
    issuer          text NOT NULL,
    subject         text NOT NULL,
    user_id         uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    linked_at       timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject),
    CONSTRAINT staff_identities_present CHECK (btrim(issuer) <> '' AND btrim(subject) <> '')
);

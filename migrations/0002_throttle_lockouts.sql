-- Smart lockout: each lockout of a key lasts longer than the one before, so the table
-- remembers how many there were until the key is cleared by a success.
ALTER TABLE throttles
    ADD COLUMN lockouts integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT throttles_lockouts_not_negative CHECK (lockouts >= 0);

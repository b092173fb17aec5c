-- $3 idle, $4 absolute, $7 the clock (NULL: the database's), $8 when the person proved who
-- they are (NULL: now), $9 the flow claim it came from ('': none). The absolute deadline counts from that proof, so a Remember Me
-- sign-in lives no longer than the login that set it; the idle one never passes it.
WITH clock AS (SELECT coalesce($7::timestamptz, now()) AS now),
     proof AS (SELECT coalesce($8::timestamptz, clock.now) AS at FROM clock)
INSERT INTO sessions (id_digest, user_id, created_at, last_seen_at, authenticated_at,
                      idle_expires_at, absolute_expires_at, user_agent, client_ip, from_claim)
SELECT $1, $2, clock.now, clock.now, proof.at,
       least(clock.now + $3::interval, proof.at + $4::interval), proof.at + $4::interval,
       nullif($5, ''), $6::inet, nullif($9, '')
FROM clock, proof

"""The proving ground's checks of what the data must never show find exactly that."""

from __future__ import annotations

import json

from store import integrity
from store.audit import record


async def _user(conn, username: str, *, status: str = "pending", complete: bool = False, audited: bool = True):
    finished = "now()" if complete else "NULL"
    user_id = await conn.fetchval(
        f"""INSERT INTO users (username, first_name, last_name, email, status, email_verified_at, password_hash,
                               mfa_method, terms_version, terms_accepted_at)
            VALUES ($1::text, 'Pat', 'Ground', $1::text || '@example.com', $2, {finished},
                    CASE WHEN $3::boolean THEN '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' END, CASE WHEN $3::boolean THEN 'email' END, CASE WHEN $3::boolean THEN '2026-01' END, {finished})
            RETURNING id""", username, status, complete)
    if audited:
        await record(conn, "registration.account_created", subject=user_id, detail={"flow": f"registration-{username}"})
    return user_id


async def test_half_made_accounts_and_steps_written_twice_are_found(db):
    async with db.acquire() as conn:
        await _user(conn, "whole", status="active", complete=True)
        await _user(conn, "waiting")  # pending, as registration leaves it before the link: fine
        await _user(conn, "no-audit", audited=False)
        await _user(conn, "hollow", status="active")
        twice = await _user(conn, "twice", status="active", complete=True)
        await record(conn, "registration.account_created", subject=twice, detail={"flow": "registration-twice"})
        # The same step in another flow (a registration reset) is no repeat.
        await record(conn, "mfa.registered", subject=twice, detail={"flow": "one"})
        await record(conn, "mfa.registered", subject=twice, detail={"flow": "another"})

        half = await integrity.half_accounts(conn)
        assert half == [
            "hollow: active without a verified email, a password, an MFA method, accepted terms",
            "no-audit: no registration.account_created audit row",
        ]
        assert await integrity.repeated_events(conn) == ["twice: registration.account_created written 2 times by one flow"]
        assert await integrity.account_status(conn, ["whole", "waiting", "nobody"]) == {"whole": "active", "waiting": "pending"}
        assert json.dumps(await integrity.sessions_of(conn, ["whole"])) == '{"whole": 0}'


async def test_live_sessions_leave_out_ended_ones(db):
    async with db.acquire() as conn:
        user_id = await _user(conn, "signed", status="active", complete=True)
        for digest, revoked in (("a" * 64, False), ("b" * 64, True)):
            await conn.execute(
                """INSERT INTO sessions (id_digest, user_id, idle_expires_at, absolute_expires_at, revoked_at)
                   VALUES ($1, $2, now() + interval '1 hour', now() + interval '2 hours', CASE WHEN $3 THEN now() END)""",
                digest, user_id, revoked)
        assert await integrity.sessions_of(conn, ["signed"]) == {"signed": 2}
        assert await integrity.live_sessions_of(conn, ["signed"]) == {"signed": 1}

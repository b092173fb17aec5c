"""Support staff and other signed-in people for the operations tests: an account, its
staff flag, and a session cookie (the sign-in itself is tested elsewhere)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

from domain import digests
from domain.passwords import hash_password
from store.providers import add_provider
from store.sessions import create_session
from store.users import grant_staff
from tests.support.enrolled_users import add_user


async def person(app, username: str, *, staff: bool) -> tuple[str, str]:
    """An active, enrolled account (staff or not) and a session token for it: (id, token).
    ``app`` is anything with ``settings`` and ``pool`` (LiveApp, SessionApp)."""
    user_id = await add_user(app.pool, "email", username=username, email=f"{username}@example.com", password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g")
    async with app.pool.acquire() as conn:
        if staff:
            await grant_staff(conn, username)
        token = digests.generate_token()
        key = digests.derive_key(app.settings.secret_key, digests.SESSION_KEY)
        await create_session(
            conn, digests.token_digest(key, token), user_id,
            idle=app.settings.session_idle_timeout, absolute=app.settings.session_absolute_timeout,
        )
    return user_id, token


async def audit_rows(pool, event: str) -> list:
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM audit_events WHERE event = $1 ORDER BY id", event)


NPI = "1234567893"
# The code tests.support.enrolled_users gives the same demo provider.
REGISTRATION_CODE = "DEMO-REG-2026"


async def stuck_registration(live_app, mail, http, *, username: str = "morgan.md") -> tuple[str, str, str]:
    """A registration started through the JSON API by ``http`` (its cookie now names the flow),
    user information given, the emailed link not clicked: (flow id, account id, the link)."""
    email = f"{username}@example.com"
    async with live_app.pool.acquire() as conn:
        if await conn.fetchval("SELECT id FROM providers WHERE npi = $1", NPI) is None:
            await add_provider(conn, NPI, "Demo Family Practice", hash_password(REGISTRATION_CODE))
    started = await http.post("/api/v1/registration", json={"npi": NPI, "registration_code": REGISTRATION_CODE})
    assert started.status_code == 201, started.text
    user_info = {
        "username": username, "first_name": "Morgan", "last_name": "Medic", "email": email,
        "confirm_email": email, "fax": "(717) 564-3862", "state": "PA", "zip_code": "17111",
    }
    answered = await http.post("/api/v1/registration/user-info", json=user_info)
    assert answered.status_code == 200 and answered.json()["step"] == "check_email", answered.text
    await mail.wait_for_messages_to(email)
    link = mail.last_link_to(email)
    flow_id = parse_qs(urlparse(link).query)["flow"][0]
    async with live_app.pool.acquire() as conn:
        account_id = str(await conn.fetchval("SELECT id FROM users WHERE username = $1", username))
    return flow_id, account_id, link


async def listed(ops_call, flow_id: str, *, present: bool = True) -> list:
    """Poll a listing (visibility is eventually consistent) until ``flow_id`` shows, or stays absent."""
    rows: list = []
    for _ in range(100):
        rows = await ops_call()
        if any(row_id(r) == flow_id for r in rows) == present:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{flow_id} {'never appeared' if present else 'did not leave'}: {rows}")


def row_id(row) -> str:
    return row["id"] if isinstance(row, dict) else row.id

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from domain.passwords import hash_password
from store.providers import add_provider
from store.sessions import (
    CLAIM_REPEAT_WINDOW,
    ActiveSession,
    ClaimUsed,
    SessionUser,
    create_session,
    live_for_user,
    revoke_all_for_user,
    revoke_session,
    touch_session,
)
from store.users import import_legacy_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


def digest() -> str:
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def password_hash():
    return hash_password("Harbour-Lantern-Quilt-42")


@pytest.fixture
async def add_user(db, password_hash):
    async with db.acquire() as conn:
        provider_id = await add_provider(conn, "1234567893", "Harrisburg Clinic", password_hash)

    async def add(conn, username="jdoe"):
        return await import_legacy_user(
            conn,
            username=username,
            password_hash=password_hash,
            first_name="Jane",
            last_name="Doe",
            email=f"{username}@example.com",
            provider_id=provider_id,
        )

    return add


@pytest.fixture
async def conn(db):
    async with db.acquire() as conn:
        yield conn


@pytest.fixture
async def user_id(conn, add_user):
    return await add_user(conn)


async def start(conn, user_id, *, at=T0, idle=IDLE, absolute=ABSOLUTE) -> str:
    session = digest()
    await create_session(conn, session, user_id, idle=idle, absolute=absolute, now=at)
    return session


async def test_a_live_session_names_its_user(conn, user_id):
    session = await start(conn, user_id)
    user = await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=1))
    assert user == SessionUser(id=user_id, first_name="Jane", last_name="Doe", username="jdoe")


async def test_what_is_stored_about_the_client(conn, user_id):
    session = digest()
    await create_session(
        conn, session, str(user_id), idle=IDLE, absolute=ABSOLUTE, user_agent="Firefox", client_ip="203.0.113.7", now=T0
    )
    row = await conn.fetchrow("SELECT * FROM sessions WHERE id_digest = $1", session)
    assert (row["user_agent"], str(row["client_ip"])) == ("Firefox", "203.0.113.7")
    assert (row["created_at"], row["idle_expires_at"], row["absolute_expires_at"]) == (T0, T0 + IDLE, T0 + ABSOLUTE)


async def test_an_idle_session_expires(conn, user_id):
    just_in_time, too_late = await start(conn, user_id), await start(conn, user_id)
    assert await touch_session(conn, just_in_time, idle=IDLE, now=T0 + IDLE - timedelta(seconds=1)) is not None
    assert await touch_session(conn, too_late, idle=IDLE, now=T0 + IDLE) is None


async def test_activity_slides_the_idle_deadline(conn, user_id):
    session = await start(conn, user_id)
    for minutes in (20, 40, 60):
        assert await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=minutes)) is not None
    row = await conn.fetchrow("SELECT * FROM sessions WHERE id_digest = $1", session)
    assert row["last_seen_at"] == T0 + timedelta(minutes=60)
    assert row["idle_expires_at"] == T0 + timedelta(minutes=90)
    assert await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=90)) is None


async def test_an_active_session_still_ends_at_its_absolute_deadline(conn, user_id):
    absolute = timedelta(hours=1)
    session = await start(conn, user_id, absolute=absolute)
    for minutes in (20, 40, 50):
        assert await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=minutes)) is not None
    idle_deadline = await conn.fetchval("SELECT idle_expires_at FROM sessions WHERE id_digest = $1", session)
    assert idle_deadline == T0 + absolute  # not 50 + 30 minutes
    assert await touch_session(conn, session, idle=IDLE, now=T0 + absolute) is None


async def test_an_idle_timeout_longer_than_the_absolute_one_is_cut_to_it(conn, user_id):
    session = await start(conn, user_id, idle=timedelta(hours=2), absolute=timedelta(hours=1))
    assert await touch_session(conn, session, idle=timedelta(hours=2), now=T0 + timedelta(hours=1)) is None


async def test_an_unknown_session_is_none(conn, user_id):
    assert await touch_session(conn, digest(), idle=IDLE) is None


async def test_a_revoked_session_is_over(conn, user_id):
    session = await start(conn, user_id)
    assert await revoke_session(conn, session) is True
    assert await revoke_session(conn, session) is False
    assert await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=1)) is None


async def test_revoking_all_of_a_users_sessions_can_keep_the_current_one(conn, user_id, add_user):
    current, other_browser, other_phone = [await start(conn, user_id) for _ in range(3)]
    someone_else = await start(conn, await add_user(conn, "kim"))
    assert await revoke_all_for_user(conn, user_id, except_digest=current) == 2
    later = T0 + timedelta(minutes=1)
    assert await touch_session(conn, current, idle=IDLE, now=later) is not None
    assert await touch_session(conn, other_browser, idle=IDLE, now=later) is None
    assert await touch_session(conn, other_phone, idle=IDLE, now=later) is None
    assert await touch_session(conn, someone_else, idle=IDLE, now=later) is not None
    assert await revoke_all_for_user(conn, str(user_id)) == 1
    assert await touch_session(conn, current, idle=IDLE, now=later) is None


@pytest.mark.parametrize("status", ["pending", "disabled"])
async def test_only_an_active_user_has_a_live_session(conn, user_id, status):
    session = await start(conn, user_id)
    await conn.execute("UPDATE users SET status = $2 WHERE id = $1", user_id, status)
    assert await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=1)) is None


async def test_sessions_are_stored_by_digest_only(conn, user_id):
    with pytest.raises(ValueError):
        await create_session(conn, "raw-session-token", user_id, idle=IDLE, absolute=ABSOLUTE)
    assert await conn.fetchval("SELECT count(*) FROM sessions") == 0



async def test_the_live_sessions_of_a_user_mark_this_one(conn, user_id, add_user):
    timed_out = await start(conn, user_id, at=T0 - IDLE)
    await revoke_session(conn, await start(conn, user_id))
    other = digest()
    await create_session(conn, other, user_id, idle=IDLE, absolute=ABSOLUTE, user_agent="Firefox", now=T0)
    mine = await start(conn, user_id, at=T0 + timedelta(minutes=1))
    await start(conn, await add_user(conn, "kim"))
    now = T0 + timedelta(minutes=2)
    assert await touch_session(conn, timed_out, idle=IDLE, now=now) is None
    assert await live_for_user(conn, user_id, this_digest=mine, now=now) == [
        ActiveSession(T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), "", this_session=True),
        ActiveSession(T0, T0, "Firefox", this_session=False),
    ]
    assert [s.this_session for s in await live_for_user(conn, str(user_id), now=now)] == [False, False]


async def test_a_session_past_its_absolute_deadline_is_not_listed(conn, user_id):
    session = await start(conn, user_id, absolute=timedelta(hours=1))
    for minutes in (25, 50):
        await touch_session(conn, session, idle=IDLE, now=T0 + timedelta(minutes=minutes))
    assert len(await live_for_user(conn, user_id, now=T0 + timedelta(minutes=59))) == 1
    assert await live_for_user(conn, user_id, now=T0 + timedelta(hours=1)) == []


async def test_sign_ins_from_one_claim_leave_only_the_last_session_live(db, add_user):
    # Two presses of Continue at once claim the same flow sign-in: each makes a session, and
    # each ends the one before it, however the two transactions interleave.
    async with db.acquire() as conn:
        user_id = await add_user(conn)
    claim = digest()

    async def sign_in() -> str:
        session = digest()
        async with db.acquire() as conn, conn.transaction():
            await create_session(conn, session, user_id, idle=IDLE, absolute=ABSOLUTE, from_claim=claim)
        return session

    made = await asyncio.gather(*(sign_in() for _ in range(5)))
    async with db.acquire() as conn:
        await create_session(conn, digest(), user_id, idle=IDLE, absolute=ABSOLUTE)  # a sign-in of its own
        live = {row["id_digest"] for row in await conn.fetch(
            "SELECT id_digest FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND from_claim = $2", user_id, claim)}
        assert len(live) == 1 and live <= set(made)
        assert await conn.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", user_id) == 2


async def from_claim(conn, user_id, claim: str, at: datetime) -> str:
    session = digest()
    async with conn.transaction():
        await create_session(conn, session, user_id, idle=IDLE, absolute=ABSOLUTE, now=at, from_claim=claim)
    return session


async def test_a_claim_signs_in_again_only_soon_after_its_first_sign_in(conn, user_id):
    # The same browser pressing again because the answer to its first sign-in was lost.
    claim = digest()
    first = await from_claim(conn, user_id, claim, T0)
    again = await from_claim(conn, user_id, claim, T0 + CLAIM_REPEAT_WINDOW - timedelta(seconds=1))
    assert await touch_session(conn, first, idle=IDLE, now=T0 + CLAIM_REPEAT_WINDOW) is None
    assert await touch_session(conn, again, idle=IDLE, now=T0 + CLAIM_REPEAT_WINDOW) is not None
    # Later, the claim is used: a copy of the browser's cookies kept since cannot sign in.
    with pytest.raises(ClaimUsed):
        await from_claim(conn, user_id, claim, T0 + CLAIM_REPEAT_WINDOW + timedelta(seconds=1))
    assert await conn.fetchval("SELECT count(*) FROM sessions WHERE from_claim = $1", claim) == 2


async def test_a_claim_whose_session_ended_signs_in_no_more(conn, user_id):
    # Signed out at once: the cookies of the login, kept, do not sign in again even moments later.
    claim = digest()
    await revoke_session(conn, await from_claim(conn, user_id, claim, T0))
    with pytest.raises(ClaimUsed):
        await from_claim(conn, user_id, claim, T0 + timedelta(seconds=5))

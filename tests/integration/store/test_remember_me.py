import secrets
from datetime import UTC, datetime, timedelta

import pytest

from domain.passwords import hash_password
from store.providers import add_provider
from store.remember_me import (
    RememberedLogin,
    issue_token,
    live_for_user,
    remembered_user,
    revoke_all_for_user,
    revoke_token,
)
from store.users import import_legacy_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=4)


def digest() -> str:
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def password_hash():
    return hash_password("Harbour-Lantern-Quilt-42")


@pytest.fixture
async def conn(db):
    async with db.acquire() as conn:
        yield conn


@pytest.fixture
async def add_user(conn, password_hash):
    provider_id = await add_provider(conn, "1234567893", "Harrisburg Clinic", password_hash)

    async def add(username="jdoe"):
        user_id = await import_legacy_user(
            conn,
            username=username,
            password_hash=password_hash,
            first_name="Jane",
            last_name="Doe",
            email=f"{username}@example.com",
            provider_id=provider_id,
        )
        # Remember Me is for users who finished MFA registration.
        await conn.execute("UPDATE users SET mfa_method = 'email', status = 'active' WHERE id = $1", user_id)
        return user_id

    return add


@pytest.fixture
async def user_id(add_user):
    return await add_user()


async def remember(conn, user_id, option="phone", *, at=T0) -> str:
    token = digest()
    await issue_token(conn, token, user_id, option, ttl=TTL, now=at)
    return token


async def test_honoured_at_3h59_and_refused_at_4h01(conn, user_id):
    token = await remember(conn, user_id)
    assert await remembered_user(conn, token, "phone", now=T0 + timedelta(hours=3, minutes=59)) == user_id
    assert await remembered_user(conn, token, "phone", now=T0 + timedelta(hours=4, minutes=1)) is None


async def test_it_ends_exactly_at_its_expiry(conn, user_id):
    token = await remember(conn, user_id)
    assert await remembered_user(conn, token, "phone", now=T0 + TTL) is None


async def test_only_the_login_option_it_was_set_with_is_remembered(conn, user_id):
    token = await remember(conn, user_id, "email")
    assert await remembered_user(conn, token, "phone", now=T0) is None
    assert await remembered_user(conn, token, "email", now=T0) == user_id


async def test_an_unknown_token_remembers_nobody(conn, user_id):
    assert await remembered_user(conn, digest(), "phone", now=T0) is None


async def test_a_revoked_token_is_off(conn, user_id):
    token = await remember(conn, user_id)
    assert await revoke_token(conn, token) == user_id
    assert await revoke_token(conn, token) is None
    assert await remembered_user(conn, token, "phone", now=T0) is None


async def test_revoking_all_of_a_users_tokens_leaves_others_alone(conn, user_id, add_user):
    laptop, tablet = await remember(conn, user_id, "phone"), await remember(conn, user_id, "email")
    someone_else = await remember(conn, await add_user("kim"))
    assert await revoke_all_for_user(conn, str(user_id)) == 2
    assert await remembered_user(conn, laptop, "phone", now=T0) is None
    assert await remembered_user(conn, tablet, "email", now=T0) is None
    assert await remembered_user(conn, someone_else, "phone", now=T0) is not None
    assert await revoke_all_for_user(conn, user_id) == 0


@pytest.mark.parametrize(
    "change",
    ["status = 'disabled'", "status = 'pending'", "mfa_method = NULL"],
)
async def test_only_an_active_user_with_mfa_is_remembered(conn, user_id, change):
    token = await remember(conn, user_id)
    await conn.execute(f"UPDATE users SET {change} WHERE id = $1", user_id)
    assert await remembered_user(conn, token, "phone", now=T0) is None


async def test_the_live_tokens_of_a_user_mark_this_browsers(conn, user_id):
    await remember(conn, user_id, at=T0 - TTL)  # expired by now
    await revoke_token(conn, await remember(conn, user_id))
    await remember(conn, user_id, "email", at=T0 + timedelta(minutes=1))
    mine = await remember(conn, user_id, "phone", at=T0 + timedelta(minutes=2))
    now = T0 + timedelta(minutes=3)
    assert await live_for_user(conn, user_id, this_digest=mine, now=now) == [
        RememberedLogin("phone", T0 + timedelta(minutes=2), T0 + timedelta(minutes=2) + TTL, this_browser=True),
        RememberedLogin("email", T0 + timedelta(minutes=1), T0 + timedelta(minutes=1) + TTL, this_browser=False),
    ]
    assert [token.this_browser for token in await live_for_user(conn, user_id, now=now)] == [False, False]


@pytest.mark.parametrize(
    ("token", "option", "ttl"),
    [("raw-cookie-value", "phone", TTL), (digest(), "fax", TTL), (digest(), "phone", timedelta(0))],
)
async def test_what_cannot_be_stored(conn, user_id, token, option, ttl):
    with pytest.raises(ValueError):
        await issue_token(conn, token, user_id, option, ttl=ttl)
    assert await conn.fetchval("SELECT count(*) FROM remember_me_tokens") == 0

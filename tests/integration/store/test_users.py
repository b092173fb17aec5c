import asyncio
import uuid

import asyncpg
import pytest

from domain.passwords import hash_password
from store.errors import AlreadyExists, NotFound
from store.providers import add_provider
from store.accounts import account_by_username
from store.users import add_membership, grant_admin, grant_staff, import_legacy_user, taken_emails, taken_usernames

NPI = "1234567893"
OTHER_NPI = "1245319599"


@pytest.fixture(scope="module")
def password_hash():
    return hash_password("legacy-password")


@pytest.fixture
async def provider_id(db):
    async with db.acquire() as conn:
        return await add_provider(conn, NPI, "Harrisburg Clinic", hash_password("REG-CODE-0001"))


@pytest.fixture
def add_user(provider_id, password_hash):
    """await add_user(conn, username=..., email=...): a legacy member of the NPI provider."""

    async def add(conn, username="JDoe", email="jane.doe@example.com"):
        return await import_legacy_user(
            conn,
            username=username,
            password_hash=password_hash,
            first_name="Jane",
            last_name="Doe",
            email=email,
            provider_id=provider_id,
        )

    return add


async def test_legacy_user_is_active_without_mfa_and_a_member(
    db, add_user, provider_id, password_hash
):
    async with db.acquire() as conn:
        user_id = await add_user(conn)
        user = await account_by_username(conn, "jdoe")
        membership = await conn.fetchrow(
            "SELECT * FROM provider_members WHERE user_id = $1", user_id
        )
    assert user is not None and user.id == user_id
    assert user.username == "JDoe"
    assert (user.status, user.is_legacy, user.mfa_method) == ("active", True, None)
    assert not user.is_staff
    assert user.password_hash == password_hash
    assert password_hash not in repr(user)
    assert membership["provider_id"] == provider_id
    assert membership["is_admin"] is False


async def test_username_is_unique_ignoring_case(db, add_user):
    async with db.acquire() as conn:
        await add_user(conn)
        with pytest.raises(AlreadyExists, match="username"):
            await add_user(conn, username="jdoe", email="other@example.com")


async def test_email_is_unique_ignoring_case(db, add_user):
    async with db.acquire() as conn:
        await add_user(conn)
        with pytest.raises(AlreadyExists, match="email"):
            await add_user(conn, username="other", email="JANE.DOE@example.com")


async def test_two_racing_inserts_of_one_username_leave_exactly_one_user(db, add_user):
    async def attempt(username, email):
        async with db.acquire() as conn, conn.transaction():
            return await add_user(conn, username=username, email=email)

    for round_number in range(5):
        name = f"racer{round_number}"
        results = await asyncio.gather(
            attempt(name, f"{name}-a@example.com"),
            attempt(name.upper(), f"{name}-b@example.com"),
            return_exceptions=True,
        )
        assert sum(isinstance(r, uuid.UUID) for r in results) == 1
        assert sum(isinstance(r, AlreadyExists) for r in results) == 1
        async with db.acquire() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM users WHERE username = $1::text::citext", name
            )
        assert count == 1


async def test_unknown_username_is_none(db):
    async with db.acquire() as conn:
        assert await account_by_username(conn, "nobody") is None


async def test_grant_admin_makes_a_member_an_admin(db, add_user, provider_id):
    async with db.acquire() as conn:
        user_id = await add_user(conn)
        assert await grant_admin(conn, "jdoe", NPI) == user_id
        assert await grant_admin(conn, "JDOE", NPI) == user_id  # twice is fine
        assert await conn.fetchval(
            "SELECT is_admin FROM provider_members WHERE user_id = $1 AND provider_id = $2",
            user_id,
            provider_id,
        )


async def test_grant_admin_to_a_non_member_makes_them_member_and_admin(
    db, add_user, provider_id
):
    async with db.acquire() as conn:
        other = await add_provider(conn, OTHER_NPI, "Other Clinic", hash_password("REG-CODE-02"))
        user_id = await add_user(conn)
        await grant_admin(conn, "jdoe", OTHER_NPI)
        rows = await conn.fetch(
            "SELECT provider_id, is_admin FROM provider_members WHERE user_id = $1", user_id
        )
    memberships = {(r["provider_id"], r["is_admin"]) for r in rows}
    assert memberships == {(provider_id, False), (other, True)}


async def test_grant_admin_names_what_is_missing(db, add_user):
    async with db.acquire() as conn:
        with pytest.raises(NotFound, match="user"):
            await grant_admin(conn, "nobody", NPI)
        await add_user(conn)
        with pytest.raises(NotFound, match=OTHER_NPI):
            await grant_admin(conn, "jdoe", OTHER_NPI)


async def test_grant_staff(db, add_user):
    async with db.acquire() as conn:
        user_id = await add_user(conn)
        assert await grant_staff(conn, "JDOE") == user_id
        assert (await account_by_username(conn, "jdoe")).is_staff
        with pytest.raises(NotFound, match="nobody"):
            await grant_staff(conn, "nobody")


async def test_membership_twice_is_already_exists(db, add_user, provider_id):
    async with db.acquire() as conn:
        user_id = await add_user(conn)
        with pytest.raises(AlreadyExists):
            await add_membership(conn, user_id, provider_id)
        with pytest.raises(NotFound):
            await add_membership(conn, uuid.uuid4(), provider_id)


async def test_taken_usernames_and_emails_ignore_case(db, add_user):
    async with db.acquire() as conn:
        await add_user(conn)
        assert await taken_usernames(conn, ["JDOE", "free"]) == {"jdoe"}
        taken = await taken_emails(conn, ["Jane.Doe@EXAMPLE.com", "free@example.com"])
    assert taken == {"jane.doe@example.com"}


async def test_database_refuses_plaintext_passwords(db):
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO users (username, first_name, last_name, password_hash)"
                " VALUES ('x1', 'A', 'B', 'hunter2hunter2')"
            )

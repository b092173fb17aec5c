import dataclasses
import uuid

import pytest
from temporalio.testing import ActivityEnvironment

from activities.contracts import EmailToVerify, MfaChoice, NewAccount, NewPassword, TermsAccepted
from activities.postgres import AccountActivities
from domain.passwords import hash_password
from store.accounts import account_by_email, account_by_id, account_by_username
from store.providers import add_provider
from store.users import grant_admin, import_legacy_user

NPI = "1234567893"
OTHER_NPI = "1245319599"


@pytest.fixture(scope="module")
def password_hash():
    return hash_password("Harbour-Lantern-Quilt-42")


@pytest.fixture
async def provider_id(db, password_hash):
    async with db.acquire() as conn:
        return await add_provider(conn, NPI, "Harrisburg Clinic", password_hash)


@pytest.fixture
async def registered(db, provider_id):
    """A new provider user, created pending as registration creates one."""
    account = NewAccount(
        provider_id=provider_id, username="JDoe", first_name="Jane", last_name="Doe",
        email="jane.doe@example.com", fax="+17175550100",
    )
    outcome = await ActivityEnvironment().run(AccountActivities(db).create_pending_account, account)
    return outcome.account_id


async def test_a_new_registration_reads_as_pending_with_nothing_enrolled(db, registered):
    async with db.acquire() as conn:
        account = await account_by_username(conn, "JDoe")
    assert account.id == uuid.UUID(registered)
    assert (account.username, account.first_name, account.last_name) == ("JDoe", "Jane", "Doe")
    assert (account.email, account.status) == ("jane.doe@example.com", "pending")
    assert (account.mfa_method, account.mfa_phone, account.password_hash) == (None, None, None)
    assert not (account.email_verified or account.has_new_password or account.terms_accepted)
    assert not (account.is_legacy or account.is_staff)
    assert account.provider_npis == (NPI,)


async def test_enrollment_steps_show_as_they_happen(db, registered, password_hash):
    activities = AccountActivities(db)
    env = ActivityEnvironment()
    await env.run(activities.verify_account_email, EmailToVerify(registered, "jane@work.example"))
    await env.run(activities.set_account_password, NewPassword(registered, password_hash))
    await env.run(activities.complete_mfa_registration, MfaChoice(registered, "phone", "+17175550123"))
    await env.run(activities.accept_terms, TermsAccepted(registered, "2026-01"))
    async with db.acquire() as conn:
        account = await account_by_id(conn, registered)
    assert account.email == "jane@work.example" and account.email_verified
    assert account.has_new_password and account.password_hash == password_hash
    assert (account.mfa_method, account.mfa_phone, account.status) == ("phone", "+17175550123", "active")
    assert account.terms_accepted


async def test_an_imported_legacy_password_is_not_a_new_one(db, provider_id, password_hash):
    async with db.acquire() as conn:
        await import_legacy_user(
            conn,
            username="legacy.user",
            password_hash=password_hash,
            first_name="Lee",
            last_name="Gacy",
            email="lee@example.com",
            provider_id=provider_id,
        )
        account = await account_by_username(conn, "legacy.user")
    assert account.is_legacy and account.status == "active"
    assert account.password_hash == password_hash
    assert not account.has_new_password


async def test_lookups_ignore_case(db, registered):
    async with db.acquire() as conn:
        by_name = await account_by_username(conn, "jdoe")
        by_email = await account_by_email(conn, "JANE.DOE@EXAMPLE.COM")
        by_id = await account_by_id(conn, uuid.UUID(registered))
    assert by_name == by_email == by_id
    assert by_name.id == uuid.UUID(registered)


@pytest.mark.parametrize("lookup,value", [
    (account_by_username, "nobody"),
    (account_by_email, "nobody@example.com"),
    (account_by_email, ""),
    (account_by_id, str(uuid.uuid4())),
    (account_by_id, "not-an-id"),
])
async def test_no_account_is_none(db, registered, lookup, value):
    async with db.acquire() as conn:
        assert await lookup(conn, value) is None


async def test_every_provider_of_an_account_is_listed(db, registered, password_hash):
    async with db.acquire() as conn:
        await add_provider(conn, OTHER_NPI, "Lancaster Clinic", password_hash)
        await grant_admin(conn, "JDoe", OTHER_NPI)
        account = await account_by_id(conn, registered)
    assert account.provider_npis == (NPI, OTHER_NPI)


async def test_the_password_hash_stays_out_of_repr(db, registered, password_hash):
    async with db.acquire() as conn:
        await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", uuid.UUID(registered), password_hash)
        account = await account_by_id(conn, registered)
    assert account.password_hash == password_hash
    assert password_hash not in repr(account)
    assert "password_hash" not in repr(account)
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.status = "active"

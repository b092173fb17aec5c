"""Account activities against a real PostgreSQL, each run as Temporal runs an activity: the
names the workflows call, the pending account a registration creates and releases, and what
a flow support restarted reads back."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import asyncpg
import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import EmailToVerify, MfaChoice, NewPassword, Outcome
from activities.postgres import USERNAME_TAKEN, AccountActivities
from activities.postgres_steps import INVALID_ACCOUNT_DATA
from devstack.ports import free_port
from domain.passwords import hash_password

PASSWORD = "Harbour-Lantern-Quilt-42"


def run(fn, *args, flow: str = "registration-1", activity_id: str = "", attempt: int = 1):
    """One attempt of an activity a flow scheduled; each call is its own activity unless
    ``activity_id`` names an earlier one (then it is a retry of that one)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=flow, activity_id=activity_id or uuid.uuid4().hex, attempt=attempt)
    return env.run(fn, *args)


async def create(accounts, account, **kwargs) -> str:
    """A pending account, made by a registration flow of its own unless ``flow`` names one."""
    kwargs.setdefault("flow", f"registration-{uuid.uuid4()}")
    outcome = await run(accounts.create_pending_account, account, **kwargs)
    assert outcome.error == "" and outcome.account_id
    return outcome.account_id


async def user_row(pool, account_id):
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", uuid.UUID(account_id))


async def events(pool, event):
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM audit_events WHERE event = $1 ORDER BY id", event)


async def count_users(pool):
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM users")


def test_registered_under_the_names_the_workflows_call(accounts):
    names = [activity._Definition.must_from_callable(fn).name for fn in accounts.all()]
    assert names == [
        "create_pending_account",
        "release_pending_account",
        "expire_unverified_account",
        "verify_account_email",
        "set_account_password",
        "apply_staged_password",
        "save_staged_password",
        "complete_mfa_registration",
        "accept_terms",
        "revoke_sign_ins",
        "record_audit",
        "find_registration_account",
        "account_progress",
        "clear_mfa_registration",
        "mark_admin_reset_pending",
        "mark_admin_reset_ended",
    ]


# --- create_pending_account ------------------------------------------------------------


async def test_creates_a_pending_member_of_the_provider_and_audits_it(accounts, pool, new_account, provider_id):
    account_id = await create(accounts, new_account, flow="registration-1")
    user = await user_row(pool, account_id)
    assert user["status"] == "pending"
    assert (user["username"], user["first_name"], user["last_name"]) == ("JDoe", "Jane", "Doe")
    assert (user["address1"], user["address2"], user["city"], user["state"], user["zip"]) == (
        "1 Market St", None, "Harrisburg", "PA", "17101"
    )
    assert (user["email"], user["phone"], user["fax"]) == ("jane.doe@example.com", "+17175550101", "+17175550100")
    assert user["password_hash"] is None and user["mfa_method"] is None and user["email_verified_at"] is None
    assert user["created_by_flow"] == "registration-1"  # how a retry or a restarted run finds it
    async with pool.acquire() as conn:
        member = await conn.fetchrow("SELECT * FROM provider_members WHERE user_id = $1", user["id"])
    assert (member["provider_id"], member["is_admin"]) == (provider_id, False)
    [created] = await events(pool, "registration.account_created")
    assert created["subject_user_id"] == user["id"]
    assert created["detail"] == {"flow": "registration-1", "provider_id": str(provider_id)}


async def test_optional_fields_left_empty_are_stored_as_nothing(accounts, pool, new_account):
    bare = dataclasses.replace(new_account, address1="", city="", state="", zip_code="", phone="")
    user = await user_row(pool, await create(accounts, bare))
    assert [user[c] for c in ("address1", "address2", "city", "state", "zip", "phone")] == [None] * 6


async def test_a_taken_username_in_any_case_is_an_outcome_for_the_username_field(accounts, pool, new_account):
    await create(accounts, new_account)
    other = dataclasses.replace(new_account, username="jdoe", email="someone.else@example.com")
    assert await run(accounts.create_pending_account, other, flow="registration-2") == USERNAME_TAKEN
    assert await count_users(pool) == 1


async def test_a_registered_email_in_any_case_names_its_holder_and_says_nothing_on_screen(accounts, pool, new_account):
    """Telling whoever types an address that it is registered would reveal who has an
    account: the outcome carries no message, only whom to email instead."""
    await create(accounts, new_account)
    other = dataclasses.replace(new_account, username="jane2", email="Jane.Doe@Example.com")
    outcome = await run(accounts.create_pending_account, other, flow="registration-2")
    assert outcome == Outcome(email_holder="unverified")  # the first one never verified it
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET email_verified_at = now()")
    third = dataclasses.replace(new_account, username="jane3", email="jane.doe@example.com")
    assert await run(accounts.create_pending_account, third, flow="registration-3") == Outcome(email_holder="account")
    assert await count_users(pool) == 1


async def test_two_racing_registrations_for_one_username_end_with_one_account(accounts, pool, new_account):
    kim = dataclasses.replace(new_account, username="kim", email="kim.one@example.com")
    other_kim = dataclasses.replace(kim, email="kim.two@example.com")
    outcomes = await asyncio.gather(
        run(accounts.create_pending_account, kim, flow="registration-a"),
        run(accounts.create_pending_account, other_kim, flow="registration-b"),
    )
    [winner] = [o for o in outcomes if o.account_id]
    [loser] = [o for o in outcomes if not o.account_id]
    assert loser == USERNAME_TAKEN
    assert await count_users(pool) == 1
    assert (await user_row(pool, winner.account_id))["username"] == "kim"


async def test_a_retried_attempt_gets_its_own_account_back(accounts, pool, new_account):
    first = await create(accounts, new_account, flow="registration-1")
    assert await create(accounts, new_account, flow="registration-1") == first
    assert await count_users(pool) == 1
    assert len(await events(pool, "registration.account_created")) == 1


async def test_another_flow_with_the_same_details_is_told_the_name_is_taken(accounts, new_account):
    await create(accounts, new_account, flow="registration-1")
    assert await run(accounts.create_pending_account, new_account, flow="registration-2") == USERNAME_TAKEN


async def test_the_same_flow_with_another_email_is_told_the_name_is_taken(accounts, new_account):
    await create(accounts, new_account, flow="registration-1")
    other = dataclasses.replace(new_account, email="jane@elsewhere.example")
    assert await run(accounts.create_pending_account, other) == USERNAME_TAKEN


async def test_an_account_that_went_on_past_pending_is_not_handed_back(accounts, new_account):
    account_id = await create(accounts, new_account, flow="registration-1")
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "email"))
    assert await run(accounts.create_pending_account, new_account) == USERNAME_TAKEN


@pytest.mark.parametrize("change,field", [
    ({"zip_code": "1710"}, "zip_code"),
    ({"state": "Pennsylvania"}, "state"),
    ({"phone": "717-555-0101"}, "phone"),
    ({"fax": ""}, "fax"),
    ({"username": "j doe"}, "username"),
    ({"first_name": " "}, "first_name"),
])
async def test_a_value_the_schema_refuses_is_a_message_on_its_field(accounts, pool, new_account, change, field):
    outcome = await run(accounts.create_pending_account, dataclasses.replace(new_account, **change))
    assert outcome.field == field and outcome.error and not outcome.account_id
    assert await count_users(pool) == 0
    assert await events(pool, "registration.account_created") == []


async def test_an_unknown_provider_fails_for_good_and_leaves_nothing(accounts, pool, new_account):
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.create_pending_account, dataclasses.replace(new_account, provider_id=999_999))
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_DATA
    assert "jane.doe" not in str(failure.value)
    assert await count_users(pool) == 0
    assert await events(pool, "registration.account_created") == []


async def test_a_database_that_is_down_raises_for_temporal_to_retry(new_account):
    pool = await asyncpg.create_pool(f"postgresql://postgres@127.0.0.1:{free_port()}/atrezzo", min_size=0)
    try:
        with pytest.raises(OSError) as failure:
            await run(AccountActivities(pool).create_pending_account, new_account)
    finally:
        await pool.close()
    assert not isinstance(failure.value, ApplicationError)


# --- release_pending_account -----------------------------------------------------------


async def test_release_deletes_a_pending_account_and_its_membership(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.release_pending_account, account_id)
    assert await count_users(pool) == 0
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM provider_members") == 0
    [released] = await events(pool, "registration.account_released")
    assert released["subject_user_id"] == uuid.UUID(account_id)


async def test_release_leaves_an_active_account_alone(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "email"))
    await run(accounts.release_pending_account, account_id)
    assert (await user_row(pool, account_id))["status"] == "active"
    assert await events(pool, "registration.account_released") == []


async def test_release_of_an_account_already_gone_is_a_no_op(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.release_pending_account, account_id)
    await run(accounts.release_pending_account, account_id)  # a retry after a lost reply
    assert len(await events(pool, "registration.account_released")) == 1


# --- what a flow support restarted reads back ----------------------------------------------------
async def test_a_registration_flow_finds_the_account_it_created_with_its_progress(accounts, new_account):
    account_id = await create(accounts, new_account, flow="registration-7")
    found = await run(accounts.find_registration_account, "registration-7")
    assert (found.account_id, found.status, found.email, found.first_name) == (account_id, "pending", new_account.email, "Jane")
    assert (found.email_verified, found.has_password) == (False, False)
    await run(accounts.verify_account_email, EmailToVerify(account_id, new_account.email))
    await run(accounts.set_account_password, NewPassword(account_id, hash_password(PASSWORD)))
    progressed = await run(accounts.account_progress, account_id)
    assert (progressed.account_id, progressed.email_verified, progressed.has_password) == (account_id, True, True)
    assert await run(accounts.find_registration_account, "registration-7") == progressed


async def test_no_account_is_found_for_another_flow_or_once_released(accounts, new_account):
    account_id = await create(accounts, new_account, flow="registration-7")
    assert (await run(accounts.find_registration_account, "registration-8")).account_id == ""
    await run(accounts.release_pending_account, account_id, flow="registration-7")
    assert (await run(accounts.find_registration_account, "registration-7")).account_id == ""
    assert (await run(accounts.account_progress, account_id)).account_id == ""

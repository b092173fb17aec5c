"""The account activities of MFA enrollment against a real PostgreSQL, each run as Temporal
runs an activity: verifying the email, setting the password, completing the method, accepting
the terms, and the audit trail they write; an id that names no account fails for good."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from temporalio.exceptions import ApplicationError

from activities.contracts import AuditEntry, EmailToVerify, MfaChoice, NewPassword, TermsAccepted
from activities import postgres
from activities.postgres import EMAIL_IN_USE
from activities.postgres_steps import ACCOUNT_NOT_FOUND, INVALID_ACCOUNT_DATA, INVALID_ACCOUNT_ID
from domain.passwords import hash_password
from tests.activities.test_postgres import PASSWORD, create, events, run, user_row

# --- verify_account_email ----------------------------------------------------------------


async def test_verifying_an_email_stores_it_with_the_time(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    outcome = await run(accounts.verify_account_email, EmailToVerify(account_id, "jane@work.example"))
    assert outcome.error == "" and outcome.account_id == account_id
    user = await user_row(pool, account_id)
    assert user["email"] == "jane@work.example" and user["email_verified_at"] is not None


async def test_an_email_of_another_account_is_an_outcome_and_changes_nothing(accounts, pool, new_account):
    jane = await create(accounts, new_account)
    kim = await create(accounts, dataclasses.replace(new_account, username="kim", email="kim@example.com"))
    outcome = await run(accounts.verify_account_email, EmailToVerify(kim, "JANE.DOE@example.com", audited=True))
    assert outcome == EMAIL_IN_USE
    assert outcome.error == "This email address is already used by another account."
    user = await user_row(pool, kim)
    assert user["email"] == "kim@example.com" and user["email_verified_at"] is None
    assert (await user_row(pool, jane))["email"] == "jane.doe@example.com"
    assert await events(pool, "mfa.email_verified") == []  # nor audited as verified


async def test_only_an_email_address_can_be_verified(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.verify_account_email, EmailToVerify(account_id, ""))
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_DATA
    assert (await user_row(pool, account_id))["email_verified_at"] is None


@pytest.mark.parametrize("account_id,error_type", [
    ("not-an-id", INVALID_ACCOUNT_ID),
    (str(uuid.uuid4()), ACCOUNT_NOT_FOUND),
])
async def test_an_account_id_that_names_no_account_fails_for_good(accounts, account_id, error_type):
    for fn, arg in (
        (accounts.verify_account_email, EmailToVerify(account_id, "kim@example.com")),
        (accounts.set_account_password, NewPassword(account_id, hash_password(PASSWORD))),
        (accounts.complete_mfa_registration, MfaChoice(account_id, "email")),
        (accounts.accept_terms, TermsAccepted(account_id, "2026-01")),
    ):
        with pytest.raises(ApplicationError) as failure:
            await run(fn, arg)
        assert failure.value.non_retryable and failure.value.type == error_type


async def test_release_of_a_malformed_id_fails_for_good(accounts):
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.release_pending_account, "not-an-id")
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_ID


# --- set_account_password -------------------------------------------------------------------


async def test_only_the_argon2id_hash_of_a_password_reaches_the_database(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    password_hash = hash_password(PASSWORD)
    await run(accounts.set_account_password, NewPassword(account_id, password_hash))
    user = await user_row(pool, account_id)
    assert user["password_hash"] == password_hash and password_hash.startswith("$argon2id$")
    assert user["password_changed_at"] is not None
    async with pool.acquire() as conn:
        everything = await conn.fetchval(
            "SELECT string_agg(t::text, ' ') FROM (SELECT row_to_json(u) AS t FROM users u"
            " UNION ALL SELECT row_to_json(a) FROM audit_events a) AS rows"
        )
    assert PASSWORD not in everything


async def test_a_password_that_is_not_an_argon2id_hash_is_refused_for_good(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.set_account_password, NewPassword(account_id, PASSWORD))
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_DATA
    assert PASSWORD not in str(failure.value)
    user = await user_row(pool, account_id)
    assert user["password_hash"] is None and user["password_changed_at"] is None


# --- complete_mfa_registration ----------------------------------------------------------


async def test_the_phone_method_keeps_its_phone_and_activates_the_account(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "phone", "+17175550123"))
    user = await user_row(pool, account_id)
    assert (user["mfa_method"], user["mfa_phone"], user["status"]) == ("phone", "+17175550123", "active")


async def test_the_email_method_clears_an_earlier_phone(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "phone", "+17175550123"))
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "email", "+17175550123"))
    user = await user_row(pool, account_id)
    assert (user["mfa_method"], user["mfa_phone"], user["status"]) == ("email", None, "active")


async def test_a_disabled_account_stays_disabled(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(account_id))
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "email"))
    assert (await user_row(pool, account_id))["status"] == "disabled"


# A write and its audit row, in one transaction: the email verified, the method registered.
AUDITED_WRITES = [
    ("verify_account_email", lambda account: EmailToVerify(account, "jane@work.example", audited=True),
     "email_verified_at", "mfa.email_verified", {"flow": "enrollment-1"}),
    ("complete_mfa_registration", lambda account: MfaChoice(account, "phone", "+17175550123", audited=True),
     "mfa_method", "mfa.registered", {"flow": "enrollment-1", "method": "phone"}),
]


@pytest.mark.parametrize("name,arg,column,event,detail", AUDITED_WRITES)
async def test_a_write_is_audited_in_its_own_transaction_once(
    accounts, pool, new_account, monkeypatch, name, arg, column, event, detail
):
    account_id = await create(accounts, new_account)
    step, real_audit = getattr(accounts, name), postgres.audit_once

    async def lost_before_the_row(conn, event, **fields):
        raise ConnectionResetError("the database went away here")

    monkeypatch.setattr(postgres, "audit_once", lost_before_the_row)
    with pytest.raises(ConnectionResetError):
        await run(step, arg(account_id), flow="enrollment-1", activity_id="step-1")
    assert (await user_row(pool, account_id))[column] is None  # nothing written unaudited
    monkeypatch.setattr(postgres, "audit_once", real_audit)
    for _ in range(2):  # the retry after a committed attempt writes nothing twice
        await run(step, arg(account_id), flow="enrollment-1", activity_id="step-1")
    assert (await user_row(pool, account_id))[column] is not None
    [row] = await events(pool, event)
    assert (str(row["subject_user_id"]), row["detail"]) == (account_id, detail)


@pytest.mark.parametrize("choice", [MfaChoice("", "phone", ""), MfaChoice("", "fax", "+17175550123")])
async def test_an_incomplete_mfa_choice_fails_for_good(accounts, pool, new_account, choice):
    account_id = await create(accounts, new_account)
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.complete_mfa_registration, dataclasses.replace(choice, account_id=account_id))
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_DATA
    assert (await user_row(pool, account_id))["status"] == "pending"


# --- accept_terms and record_audit -------------------------------------------------------


async def test_accepting_terms_stores_the_version_with_the_time(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.accept_terms, TermsAccepted(account_id, "2026-01"))
    user = await user_row(pool, account_id)
    assert user["terms_version"] == "2026-01" and user["terms_accepted_at"] is not None


async def test_audit_entries_land_in_the_trail(accounts, pool):
    subject = uuid.uuid4()
    detail = {"flow": "enrollment-1", "method": "sms"}
    await run(accounts.record_audit, AuditEntry("mfa.registered", str(subject), detail))
    await run(accounts.record_audit, AuditEntry("registration.cancelled"))
    [with_subject] = await events(pool, "mfa.registered")
    [without] = await events(pool, "registration.cancelled")
    assert with_subject["subject_user_id"] == subject
    assert with_subject["detail"] == detail
    assert without["subject_user_id"] is None and without["detail"] == {}


async def test_a_retried_audit_write_that_had_committed_records_nothing_twice(accounts, pool):
    # The worker died (or Temporal was away) after the row committed: the same activity runs again.
    subject = str(uuid.uuid4())
    for attempt in (1, 2):
        await run(accounts.record_audit, AuditEntry("mfa.registered", subject, {"flow": "e-1"}), activity_id="7", attempt=attempt)
    await run(accounts.record_audit, AuditEntry("mfa.registered", subject, {"flow": "e-1"}))  # another activity
    assert len(await events(pool, "mfa.registered")) == 2


async def test_a_retried_revocation_keeps_the_first_count_in_the_trail(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    for attempt in (1, 2):
        await run(accounts.revoke_sign_ins, account_id, activity_id="9", attempt=attempt)
    [revoked] = await events(pool, "sign_ins.revoked")
    assert revoked["subject_user_id"] == uuid.UUID(account_id)


async def test_an_audit_subject_that_is_no_account_id_fails_for_good(accounts):
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.record_audit, AuditEntry("mfa.registered", "jane.doe@example.com"))
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_ID
    assert "jane.doe" not in str(failure.value)

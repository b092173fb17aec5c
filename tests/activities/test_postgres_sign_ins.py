"""Ending an account's sign-ins against a real PostgreSQL, run as Temporal runs an activity:
every session and Remember Me token ends, a retry ends nothing more, the trail records it, and
an id that is not an account id fails for good."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.contracts import MfaChoice
from activities.postgres_steps import INVALID_ACCOUNT_ID
from store.remember_me import issue_token, remembered_user
from store.sessions import create_session, touch_session
from tests.activities.test_postgres import create, events, run

# --- revoke_sign_ins --------------------------------------------------------------------


async def sign_in_everywhere(pool, account_id) -> tuple[str, str]:
    """One live session and one Remember Me token, as a browser would have them."""
    session, token = "a" * 64, "b" * 64
    async with pool.acquire() as conn:
        await create_session(conn, session, account_id, idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        await issue_token(conn, token, account_id, "email", ttl=timedelta(hours=4))
    return session, token


async def test_revoking_sign_ins_ends_every_session_and_remember_me_and_audits_it(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await run(accounts.complete_mfa_registration, MfaChoice(account_id, "email"))
    session, token = await sign_in_everywhere(pool, account_id)
    assert await run(accounts.revoke_sign_ins, account_id, flow="password_reset-1") == 2
    async with pool.acquire() as conn:
        assert await touch_session(conn, session, idle=timedelta(minutes=30)) is None
        assert await remembered_user(conn, token, "email") is None
    [revoked] = await events(pool, "sign_ins.revoked")
    assert revoked["subject_user_id"] == uuid.UUID(account_id)
    assert revoked["detail"] == {"flow": "password_reset-1", "sessions": 1, "remember_me_tokens": 1}


async def test_a_retried_revocation_ends_nothing_more(accounts, pool, new_account):
    account_id = await create(accounts, new_account)
    await sign_in_everywhere(pool, account_id)
    await run(accounts.revoke_sign_ins, account_id)
    assert await run(accounts.revoke_sign_ins, account_id) == 0


async def test_revoking_the_sign_ins_of_a_malformed_id_fails_for_good(accounts):
    with pytest.raises(ApplicationError) as failure:
        await run(accounts.revoke_sign_ins, "jane.doe@example.com")
    assert failure.value.non_retryable and failure.value.type == INVALID_ACCOUNT_ID

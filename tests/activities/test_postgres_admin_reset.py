"""The admin reset's account activities against a real PostgreSQL, run as Temporal runs them:
each write is safe to retry, and a new run's reset replaces one left pending."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import AdminResetEnded, AdminResetRequested
from activities.postgres import AccountActivities
from activities.postgres_steps import ACCOUNT_NOT_FOUND, INVALID_ACCOUNT_DATA
from tests.support.provider_admins import member


def run(fn, arg, *, run_id: str = "run-1"):
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="admin-reset-x", workflow_run_id=run_id)
    return env.run(fn, arg)


async def rows(pool, sql: str, *args):
    async with pool.acquire() as conn:
        return await conn.fetch(sql, *args)


async def test_clearing_keeps_the_account_active_with_its_password(pool):
    user_id = await member(pool, "dana.doctor", method="phone")
    await run(AccountActivities(pool).clear_mfa_registration, user_id)
    await run(AccountActivities(pool).clear_mfa_registration, user_id)  # a retry changes nothing
    [user] = await rows(pool, "SELECT mfa_method, mfa_phone, status, password_hash FROM users WHERE id = $1", uuid.UUID(user_id))
    assert (user["mfa_method"], user["mfa_phone"], user["status"]) == (None, None, "active")
    assert user["password_hash"].startswith("$argon2id$")


async def test_clearing_an_unknown_account_fails_for_good(pool):
    with pytest.raises(ApplicationError) as failed:
        await run(AccountActivities(pool).clear_mfa_registration, str(uuid.uuid4()))
    assert failed.value.type == ACCOUNT_NOT_FOUND and failed.value.non_retryable


async def test_pending_then_ended_once_each_however_often_retried(pool):
    accounts = AccountActivities(pool)
    admin = await member(pool, "ada.admin", admin=True)
    user_id = await member(pool, "dana.doctor")
    at = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
    requested = AdminResetRequested(user_id, admin, at.isoformat())
    await run(accounts.mark_admin_reset_pending, requested)
    await run(accounts.mark_admin_reset_pending, requested)
    await run(accounts.mark_admin_reset_ended, AdminResetEnded(user_id, "re_registered"))
    await run(accounts.mark_admin_reset_ended, AdminResetEnded(user_id, "re_registered"))
    [reset] = await rows(pool, "SELECT * FROM admin_resets")
    assert (str(reset["requested_by"]), reset["requested_at"], reset["state"]) == (admin, at, "re_registered")
    assert reset["ended_at"] is not None and (reset["flow_id"], reset["run_id"]) == ("admin-reset-x", "run-1")
    audited = await rows(pool, "SELECT event, actor_user_id FROM audit_events WHERE event LIKE 'admin_reset.%' ORDER BY id")
    assert [(a["event"], str(a["actor_user_id"])) for a in audited] == [
        ("admin_reset.requested", admin), ("admin_reset.re_registered", "None"),
    ]


async def test_a_new_run_closes_a_reset_left_pending(pool):
    accounts = AccountActivities(pool)
    admin = await member(pool, "ada.admin", admin=True)
    user_id = await member(pool, "dana.doctor")
    requested = AdminResetRequested(user_id, admin, datetime.now(timezone.utc).isoformat())
    await run(accounts.mark_admin_reset_pending, requested, run_id="run-1")  # then terminated, say
    await run(accounts.mark_admin_reset_pending, requested, run_id="run-2")
    states = await rows(pool, "SELECT run_id, state FROM admin_resets ORDER BY id")
    assert [(r["run_id"], r["state"]) for r in states] == [("run-1", "restarted"), ("run-2", "pending")]


async def test_an_unknown_end_state_is_refused(pool):
    user_id = await member(pool, "dana.doctor")
    with pytest.raises(ApplicationError) as failed:
        await run(AccountActivities(pool).mark_admin_reset_ended, AdminResetEnded(user_id, "forgotten"))
    assert failed.value.type == INVALID_ACCOUNT_DATA

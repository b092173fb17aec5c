"""New passwords staged at the edge and applied by the flow's activity, against a real
PostgreSQL: only the calling flow's own staging, for its own account, while it is fresh; saved
with its audit row (and, for a reset, the end of every other sign-in) all or nothing."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from temporalio.testing import ActivityEnvironment

from activities import postgres_passwords
from activities.contracts import StagedPassword
from activities.postgres import AccountActivities
from domain.passwords import hash_password, verify_password
from store import staged_passwords
from tests.activities.test_postgres import events, run
from tests.activities.test_postgres_sign_ins import sign_in_everywhere
from tests.support.provider_admins import member

PASSWORD = "Harbour-Lantern-Quilt-42"


def apply_as(pool, flow: str, account_id: str):
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=flow)
    return env.run(AccountActivities(pool).apply_staged_password, account_id)


async def stage(pool, flow: str, account_id: str, password: str = PASSWORD) -> None:
    async with pool.acquire() as conn:
        await staged_passwords.stage(conn, flow, uuid.UUID(account_id), hash_password(password))


async def stored_hash(pool, account_id: str) -> str | None:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", uuid.UUID(account_id))


async def test_the_calling_flow_applies_its_staged_password(pool):
    user = await member(pool, "dana.doctor")
    await stage(pool, "enrollment-1", user)
    assert await apply_as(pool, "enrollment-1", user) is True
    assert verify_password(await stored_hash(pool, user), PASSWORD)
    # Retried after a lost reply: the same password again, not a failure.
    assert await apply_as(pool, "enrollment-1", user) is True


async def test_another_flow_cannot_apply_it(pool):
    user = await member(pool, "dana.doctor")
    before = await stored_hash(pool, user)
    await stage(pool, "enrollment-1", user)
    assert await apply_as(pool, "enrollment-2", user) is False
    assert await stored_hash(pool, user) == before


async def test_it_applies_only_to_the_account_it_was_staged_for(pool):
    dana, lee = await member(pool, "dana.doctor"), await member(pool, "lee.legacy")
    before = await stored_hash(pool, lee)
    await stage(pool, "password_reset-1", dana)
    assert await apply_as(pool, "password_reset-1", lee) is False
    assert await stored_hash(pool, lee) == before


async def test_an_expired_staging_applies_nothing_and_is_purged(pool):
    user = await member(pool, "dana.doctor")
    await stage(pool, "enrollment-1", user)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE staged_passwords SET expires_at = now() - interval '1 second'")
    assert await apply_as(pool, "enrollment-1", user) is False
    async with pool.acquire() as conn:
        assert await staged_passwords.purge(conn) == 1
        assert await conn.fetchval("SELECT count(*) FROM staged_passwords") == 0


async def test_only_an_argon2id_hash_is_staged(pool):
    user = await member(pool, "dana.doctor")
    async with pool.acquire() as conn:
        with pytest.raises(ValueError):
            await staged_passwords.stage(conn, "enrollment-1", uuid.UUID(user), PASSWORD)


# --- save_staged_password: the password with its audit row --------------------------------------
async def save_as(pool, flow: str, saved: StagedPassword, activity_id: str = "save-1"):
    return await run(AccountActivities(pool).save_staged_password, saved, flow=flow, activity_id=activity_id)


async def live_sign_ins(pool, account_id: str) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT (SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL)"
            " + (SELECT count(*) FROM remember_me_tokens WHERE user_id = $1 AND revoked_at IS NULL)",
            uuid.UUID(account_id),
        )


async def test_a_reset_saves_the_password_ends_other_sign_ins_and_audits_it_once(pool):
    user = await member(pool, "dana.doctor")
    await sign_in_everywhere(pool, user)
    await stage(pool, "password_reset-1", user)
    saved = StagedPassword(user, "password.reset", end_sign_ins=True)
    assert await save_as(pool, "password_reset-1", saved) is True
    # Its worker died after the commit: the retry, under the same activity id, adds nothing.
    assert await save_as(pool, "password_reset-1", saved) is True
    assert verify_password(await stored_hash(pool, user), PASSWORD)
    assert await live_sign_ins(pool, user) == 0
    [reset] = await events(pool, "password.reset")
    assert (reset["subject_user_id"], reset["detail"]) == (uuid.UUID(user), {"flow": "password_reset-1"})
    assert len(await events(pool, "sign_ins.revoked")) == 1


async def test_a_created_password_ends_no_sign_in(pool):
    user = await member(pool, "dana.doctor")
    await sign_in_everywhere(pool, user)
    await stage(pool, "enrollment-1", user)
    assert await save_as(pool, "enrollment-1", StagedPassword(user, "password.created")) is True
    assert await live_sign_ins(pool, user) == 2
    assert [row["detail"] for row in await events(pool, "password.created")] == [{"flow": "enrollment-1"}]


async def test_nothing_staged_saves_nothing_and_audits_nothing(pool):
    user = await member(pool, "dana.doctor")
    await sign_in_everywhere(pool, user)
    before = await stored_hash(pool, user)
    assert await save_as(pool, "password_reset-1", StagedPassword(user, "password.reset", end_sign_ins=True)) is False
    assert await stored_hash(pool, user) == before and await live_sign_ins(pool, user) == 2
    assert await events(pool, "password.reset") == []


async def test_a_failure_before_the_audit_row_leaves_the_old_password_and_its_sign_ins(pool, monkeypatch):
    # The worker loses the database between the password and its audit row: nothing of the
    # step stays, so no password ever changes unaudited, or with the old sessions still on.
    user = await member(pool, "dana.doctor")
    await sign_in_everywhere(pool, user)
    before = await stored_hash(pool, user)
    await stage(pool, "password_reset-1", user)
    real_audit = postgres_passwords.audit_once

    async def lost_before_the_reset_row(conn, event, **fields):
        if event == "password.reset":
            raise ConnectionResetError("the database went away here")
        await real_audit(conn, event, **fields)

    monkeypatch.setattr(postgres_passwords, "audit_once", lost_before_the_reset_row)
    with pytest.raises(ConnectionResetError):
        await save_as(pool, "password_reset-1", StagedPassword(user, "password.reset", end_sign_ins=True))
    assert await stored_hash(pool, user) == before and await live_sign_ins(pool, user) == 2
    assert await events(pool, "sign_ins.revoked") == []

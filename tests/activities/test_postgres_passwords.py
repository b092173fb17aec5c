"""New passwords staged at the edge and applied by the flow's activity, against a real
PostgreSQL: only the calling flow's own staging, for its own account, while it is fresh."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from temporalio.testing import ActivityEnvironment

from activities.postgres import AccountActivities
from domain.passwords import hash_password, verify_password
from store import staged_passwords
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

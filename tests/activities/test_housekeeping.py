"""Housekeeping activities against a real PostgreSQL: what counts for nothing goes."""

from __future__ import annotations

import uuid

from temporalio.testing import ActivityEnvironment

from activities.housekeeping import HousekeepingActivities
from domain.passwords import hash_password
from store import staged_passwords
from tests.support.provider_admins import member


async def test_idle_throttle_rows_go_and_live_ones_stay(pool):
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO throttles (key, last_attempt_at) VALUES ('login:client:192.0.2.1', now() - interval '3 days'),"
            " ('login:client:192.0.2.2', now())"
        )
    assert await ActivityEnvironment().run(HousekeepingActivities(pool).purge_throttles) == 1
    async with pool.acquire() as conn:
        assert [r["key"] for r in await conn.fetch("SELECT key FROM throttles")] == ["login:client:192.0.2.2"]


async def test_expired_staged_passwords_go(pool):
    user = uuid.UUID(await member(pool, "dana.doctor"))
    async with pool.acquire() as conn:
        await staged_passwords.stage(conn, "enrollment-old", user, hash_password("Harbour-Lantern-Quilt-42"))
        await staged_passwords.stage(conn, "enrollment-new", user, hash_password("Harbour-Lantern-Quilt-43"))
        await conn.execute("UPDATE staged_passwords SET expires_at = now() - interval '1 minute' WHERE flow_id = 'enrollment-old'")
    assert await ActivityEnvironment().run(HousekeepingActivities(pool).purge_staged_passwords) == 1
    async with pool.acquire() as conn:
        assert [r["flow_id"] for r in await conn.fetch("SELECT flow_id FROM staged_passwords")] == ["enrollment-new"]

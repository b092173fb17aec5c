"""Attempts on the same keys at once, against real PostgreSQL: reservations and the successes
that forgive them take the rows in one order, so they queue and never deadlock."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import asyncpg
from starlette.requests import Request

from api.throttling import Policy, reserve
from store.throttles import LockRule, SlowRule
from tests.support.temporal import make_settings

# Roomy enough that nothing here is refused or slowed: only the rows' locks are tested.
ROOMY = Policy("regcode", LockRule(10_000), SlowRule(10_000), SlowRule(10_000))


def request_from(pool: asyncpg.Pool, settings) -> Request:
    async def the_pool() -> asyncpg.Pool:
        return pool

    app = SimpleNamespace(state=SimpleNamespace(resources=SimpleNamespace(settings=settings, pool=the_pool)))
    return Request({"type": "http", "headers": [], "client": ("10.0.0.9", 50000), "app": app})


async def test_twenty_right_attempts_on_one_subject_from_one_client_at_once_all_go_through(db_url):
    # Twenty registrations for one NPI from one office at once (the benchmark's row): every
    # reservation and every success touch the same three rows.
    pool = await asyncpg.create_pool(db_url, min_size=20, max_size=20)
    request = request_from(pool, make_settings())

    async def right_attempt() -> None:
        attempt = await reserve(request, ROOMY, "1234567893")
        await attempt.succeeded()

    try:
        for _ in range(5):
            await asyncio.gather(*(right_attempt() for _ in range(20)))
        assert await pool.fetchval("SELECT count(*) FROM throttles WHERE key LIKE 'regcode:subject:%:client:%'") == 0
    finally:
        await pool.close()

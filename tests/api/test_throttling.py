"""Throttles at the edge against real PostgreSQL: attempts on the same keys at once (reservations
and the successes that forgive them take the rows in one order, so they queue and never
deadlock), and what a refusal's 429 tells a program."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request

from api.throttling import Policy, RetryAfter, Throttled, reserve
from store.throttles import LockRule, SlowRule
from tests.support.app import asgi_client
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


async def test_a_refusal_answered_429_says_when_to_try_again_in_retry_after(db_url):
    # One free attempt a client, and no waiting for a slot: the second attempt is refused,
    # its slot a second off. A program reads that wait from Retry-After, as a person reads it.
    policy = Policy("regcode", LockRule(10_000), SlowRule(1, longest_wait=timedelta(0)), SlowRule(10_000))
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    app = FastAPI()
    app.add_middleware(RetryAfter)

    async def the_pool() -> asyncpg.Pool:
        return pool

    app.state.resources = SimpleNamespace(settings=make_settings(), pool=the_pool)

    @app.post("/attempt/{status}")
    async def attempt(request: Request, status: int) -> JSONResponse:
        try:
            await reserve(request, policy, "1234567893")
        except Throttled as throttled:
            return JSONResponse({"detail": throttled.message}, status)
        return JSONResponse({}, 200)

    try:
        async with asgi_client(app) as http:
            first = await http.post("/attempt/429")
            refused = await http.post("/attempt/429")
            # A refusal a flow's screen shows (a code step's, answered 200 with its error) is no 429.
            shown = await http.post("/attempt/200")
    finally:
        await pool.close()
    assert first.status_code == 200 and "retry-after" not in first.headers
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Please try again in 1 second." in refused.text
    assert shown.status_code == 200 and "retry-after" not in shown.headers

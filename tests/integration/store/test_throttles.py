import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from store.throttles import FIRST_LOCK, LONGEST_LOCK, clear, locked_for, record_failure

KEY = "regcode:npi:1234567893"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


async def fail(conn, at, key=KEY, limit=3):
    return await record_failure(conn, key, limit=limit, window=WINDOW, now=at)


async def lock_at(conn, at, key=KEY):
    """Three failures at ``at``: the lock they cause."""
    results = [await fail(conn, at, key) for _ in range(3)]
    assert results[:2] == [None, None]
    return results[2]


async def test_the_limit_th_failure_locks_for_a_minute(db):
    async with db.acquire() as conn:
        assert await locked_for(conn, KEY, now=T0) is None
        assert await lock_at(conn, T0) == FIRST_LOCK
        assert await locked_for(conn, KEY, now=T0 + timedelta(seconds=20)) == timedelta(seconds=40)
        assert await locked_for(conn, KEY, now=T0 + FIRST_LOCK) is None


async def test_failures_while_locked_are_not_counted(db):
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        assert await fail(conn, T0 + timedelta(seconds=30)) is None
        assert await locked_for(conn, KEY, now=T0 + timedelta(seconds=30)) == timedelta(seconds=30)
        failures = await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", KEY)
    assert failures == 3


async def test_failures_outside_the_window_do_not_add_up(db):
    async with db.acquire() as conn:
        assert await fail(conn, T0) is None
        assert await fail(conn, T0 + timedelta(minutes=5)) is None
        # The window opened at T0; this failure starts a new one.
        assert await fail(conn, T0 + WINDOW) is None
        assert await fail(conn, T0 + WINDOW + timedelta(minutes=1)) is None
        assert await fail(conn, T0 + WINDOW + timedelta(minutes=2)) == FIRST_LOCK


async def test_each_lock_after_the_first_doubles_up_to_an_hour(db):
    locks = []
    async with db.acquire() as conn:
        at = T0
        lock = await lock_at(conn, at)
        for _ in range(8):
            locks.append(lock)
            at += lock
            # The first failure after a lock ends locks again at once.
            lock = await fail(conn, at)
    assert [lock.total_seconds() / 60 for lock in locks] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert max(locks) == LONGEST_LOCK


async def test_a_quiet_window_after_a_lock_gives_the_full_limit_back_but_not_a_short_lock(db):
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        later = T0 + FIRST_LOCK + WINDOW
        assert await lock_at(conn, later) == 2 * FIRST_LOCK


async def test_clear_forgets_failures_and_lockouts(db):
    async with db.acquire() as conn:
        first = await lock_at(conn, T0)
        await fail(conn, T0 + first)  # second lockout: two minutes
        await clear(conn, KEY)
        assert await locked_for(conn, KEY, now=T0 + first) is None
        assert await lock_at(conn, T0 + first) == FIRST_LOCK


async def test_keys_are_independent(db):
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        assert await locked_for(conn, "regcode:ip:127.0.0.1", now=T0) is None
        assert await fail(conn, T0, key="regcode:ip:127.0.0.1") is None


async def test_the_database_clock_is_used_without_now(db):
    async with db.acquire() as conn:
        for _ in range(2):
            assert await record_failure(conn, KEY, limit=3) is None
        lock = await record_failure(conn, KEY, limit=3)
        remaining = await locked_for(conn, KEY)
    assert lock == FIRST_LOCK
    assert timedelta(0) < remaining <= FIRST_LOCK


async def test_a_limit_of_one_locks_at_the_first_failure(db):
    async with db.acquire() as conn:
        assert await fail(conn, T0, limit=1) == FIRST_LOCK


async def test_concurrent_failures_all_count_and_exactly_one_locks(db):
    async def one_failure():
        async with db.acquire() as conn:
            return await record_failure(conn, KEY, limit=10, window=WINDOW, now=T0)

    results = await asyncio.gather(*(one_failure() for _ in range(14)))
    async with db.acquire() as conn:
        failures = await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", KEY)
        remaining = await locked_for(conn, KEY, now=T0)
    assert [r for r in results if r is not None] == [FIRST_LOCK]
    assert failures == 10
    assert remaining == FIRST_LOCK


@pytest.mark.parametrize("limit,window", [(0, WINDOW), (3, timedelta(0))])
async def test_a_throttle_needs_a_limit_and_a_window(db, limit, window):
    async with db.acquire() as conn:
        with pytest.raises(ValueError):
            await record_failure(conn, KEY, limit=limit, window=window)

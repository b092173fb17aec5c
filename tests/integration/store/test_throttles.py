import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from store.throttles import (
    FIRST_DELAY,
    FIRST_LOCK,
    LOCK_DECAY,
    LONGEST_DELAY,
    LONGEST_LOCK,
    PURGE_AFTER,
    LockRule,
    Reservation,
    Slot,
    SlowRule,
    clear,
    locked_for,
    purge,
    refund,
    reserve_attempt,
    reserve_slot,
)

KEY = "regcode:subject:5f1d:regcode:client:127.0.0.1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
THREE = LockRule(3, WINDOW)


async def attempt(conn, at, key=KEY, rule=THREE):
    return await reserve_attempt(conn, key, rule, now=at)


async def lock_at(conn, at, key=KEY):
    """Three attempts at ``at``: the third is still reserved, and locks the key."""
    results = [await attempt(conn, at, key) for _ in range(3)]
    assert [r.refused_for for r in results] == [None, None, None]
    assert [r.locks_for for r in results[:2]] == [None, None]
    return results[2].locks_for


# --- lock keys ----------------------------------------------------------------------------------
async def test_the_limit_th_attempt_is_reserved_and_locks_for_a_minute(db):
    async with db.acquire() as conn:
        assert await locked_for(conn, KEY, now=T0) is None
        assert await lock_at(conn, T0) == FIRST_LOCK
        assert await locked_for(conn, KEY, now=T0 + timedelta(seconds=20)) == timedelta(seconds=40)
        assert await locked_for(conn, KEY, now=T0 + FIRST_LOCK) is None


async def test_attempts_while_locked_are_refused_and_not_counted(db):
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        refused = await attempt(conn, T0 + timedelta(seconds=30))
        assert refused.refused_for == timedelta(seconds=30)
        failures = await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", KEY)
    assert failures == 3


async def test_attempts_outside_the_window_do_not_add_up(db):
    async with db.acquire() as conn:
        assert (await attempt(conn, T0)).locks_for is None
        assert (await attempt(conn, T0 + timedelta(minutes=5))).locks_for is None
        # The window opened at T0; this attempt starts a new one.
        assert (await attempt(conn, T0 + WINDOW)).locks_for is None
        assert (await attempt(conn, T0 + WINDOW + timedelta(minutes=1))).locks_for is None
        assert (await attempt(conn, T0 + WINDOW + timedelta(minutes=2))).locks_for == FIRST_LOCK


async def test_each_lock_after_the_first_doubles_up_to_an_hour(db):
    locks = []
    async with db.acquire() as conn:
        at = T0
        lock = await lock_at(conn, at)
        for _ in range(8):
            locks.append(lock)
            at += lock
            # The first attempt after a lock ends locks again at once.
            lock = (await attempt(conn, at)).locks_for
    assert [lock.total_seconds() / 60 for lock in locks] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert max(locks) == LONGEST_LOCK


async def test_a_quiet_key_forgets_one_lock_level_an_hour(db):
    async with db.acquire() as conn:
        at = T0
        lock = await lock_at(conn, at)
        for _ in range(4):  # locks of 1, 2, 4, 8 and 16 minutes: the next would be 32
            at += lock
            lock = (await attempt(conn, at)).locks_for
        assert lock == 16 * FIRST_LOCK
        # Two quiet hours after the 16-minute lock ends: two levels are forgotten.
        quiet = at + lock + 2 * LOCK_DECAY
        assert await lock_at(conn, quiet) == 8 * FIRST_LOCK


async def test_an_attempt_that_queued_with_an_older_clock_adds_no_lock_level(db):
    """Parallel transactions take their clock when they start, then wait for the row: one may
    arrive with a clock older than the attempt before it. That is no quiet time, and no level."""
    async with db.acquire() as conn:
        await attempt(conn, T0 + timedelta(seconds=1))
        await attempt(conn, T0)
        assert await attempt(conn, T0 + timedelta(seconds=1)) == Reservation(locks_for=FIRST_LOCK)
        row = await conn.fetchrow("SELECT lockouts, last_attempt_at FROM throttles WHERE key = $1", KEY)
    assert (row["lockouts"], row["last_attempt_at"]) == (1, T0 + timedelta(seconds=1))


async def test_a_quiet_window_after_a_lock_gives_the_full_limit_back_but_not_a_short_lock(db):
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        later = T0 + FIRST_LOCK + WINDOW
        assert await lock_at(conn, later) == 2 * FIRST_LOCK


async def test_clear_forgets_attempts_and_lockouts(db):
    async with db.acquire() as conn:
        first = await lock_at(conn, T0)
        await attempt(conn, T0 + first)  # second lockout: two minutes
        await clear(conn, KEY)
        assert await locked_for(conn, KEY, now=T0 + first) is None
        assert await lock_at(conn, T0 + first) == FIRST_LOCK


async def test_keys_are_independent(db):
    other = "regcode:subject:5f1d:regcode:client:10.0.0.9"
    async with db.acquire() as conn:
        await lock_at(conn, T0)
        assert await locked_for(conn, other, now=T0) is None
        assert (await attempt(conn, T0, key=other)).refused_for is None


async def test_the_database_clock_is_used_without_now(db):
    async with db.acquire() as conn:
        for _ in range(2):
            assert (await reserve_attempt(conn, KEY, THREE)).locks_for is None
        lock = (await reserve_attempt(conn, KEY, THREE)).locks_for
        remaining = await locked_for(conn, KEY)
    assert lock == FIRST_LOCK
    assert timedelta(0) < remaining <= FIRST_LOCK


async def test_a_limit_of_one_locks_at_the_first_attempt(db):
    async with db.acquire() as conn:
        assert (await attempt(conn, T0, rule=LockRule(1, WINDOW))).locks_for == FIRST_LOCK


async def test_concurrent_reservations_let_exactly_the_limit_through(db):
    """The reason reservations exist: fifty at once, ten reserved, forty refused unchecked."""

    async def one_attempt():
        async with db.acquire() as conn:
            return await reserve_attempt(conn, KEY, LockRule(10, WINDOW), now=T0)

    results = await asyncio.gather(*(one_attempt() for _ in range(50)))
    async with db.acquire() as conn:
        failures = await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", KEY)
    assert sum(r.refused_for is None for r in results) == 10
    assert [r.locks_for for r in results if r.locks_for is not None] == [FIRST_LOCK]
    assert failures == 10


@pytest.mark.parametrize("limit,window", [(0, WINDOW), (3, timedelta(0))])
def test_a_lock_rule_needs_a_limit_and_a_window(limit, window):
    with pytest.raises(ValueError):
        LockRule(limit, window)


# --- slow-down keys -----------------------------------------------------------------------------
CLIENT = "login:client:192.0.2.7"
SLOW = SlowRule(3, WINDOW, longest_wait=timedelta(seconds=10))


async def slot(conn, at, rule=SLOW, key=CLIENT):
    return await reserve_slot(conn, key, rule, now=at)


async def test_free_attempts_go_at_once_then_each_waits_longer(db):
    async with db.acquire() as conn:
        waits = [(await slot(conn, T0)).wait for _ in range(6)]
    # 3 free; then the slots draw apart by 1 s, 2 s, 4 s: 1, 3 and 7 s from now.
    assert waits == [timedelta(0)] * 3 + [timedelta(seconds=s) for s in (1, 3, 7)]


async def test_a_slot_further_off_than_the_longest_wait_is_refused_and_not_counted(db):
    async with db.acquire() as conn:
        for _ in range(6):
            await slot(conn, T0)
        # The next slot is 15 s away (7 s + 8 s): more than 10 s.
        refused = await slot(conn, T0)
        assert refused.refused and refused.wait == timedelta(seconds=15)
        assert await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", CLIENT) == 6
        # Once time has moved on, the slot is near enough again.
        assert await slot(conn, T0 + timedelta(seconds=6)) == Slot(timedelta(seconds=9))


async def test_the_gap_between_slots_stops_growing_at_thirty_seconds(db):
    patient = SlowRule(1, timedelta(hours=1), longest_wait=timedelta(hours=1))
    async with db.acquire() as conn:
        waits = [(await slot(conn, T0, patient)).wait for _ in range(9)]
    gaps = [(b - a).total_seconds() for a, b in zip(waits, waits[1:])]
    assert gaps == [1, 2, 4, 8, 16, 30, 30, 30]
    assert FIRST_DELAY == timedelta(seconds=1) and LONGEST_DELAY == timedelta(seconds=30)


async def test_a_quiet_window_starts_a_slow_down_key_over(db):
    async with db.acquire() as conn:
        for _ in range(5):
            await slot(conn, T0)
        assert (await slot(conn, T0 + WINDOW)).wait == timedelta(0)


async def test_concurrent_slots_queue_one_after_another(db):
    async def one():
        async with db.acquire() as conn:
            return await reserve_slot(conn, CLIENT, SlowRule(1, WINDOW, longest_wait=timedelta(minutes=5)), now=T0)

    slots = await asyncio.gather(*(one() for _ in range(6)))
    assert sorted(s.wait.total_seconds() for s in slots) == [0, 1, 3, 7, 15, 31]


async def test_refund_gives_one_attempt_back(db):
    async with db.acquire() as conn:
        for _ in range(3):
            await slot(conn, T0)
        await refund(conn, CLIENT)
        await refund(conn, CLIENT)
        assert await conn.fetchval("SELECT failures FROM throttles WHERE key = $1", CLIENT) == 1


# --- purge --------------------------------------------------------------------------------------
async def test_purge_removes_idle_rows_but_not_running_locks(db):
    async with db.acquire() as conn:
        await slot(conn, T0, key="old:client")
        await lock_at(conn, T0 + PURGE_AFTER + timedelta(hours=1), key="recent:lock")
        await conn.execute(
            "INSERT INTO throttles (key, locked_until, last_attempt_at) VALUES ('long:lock', $1, $2)",
            T0 + 2 * PURGE_AFTER, T0,
        )
        purged = await purge(conn, now=T0 + PURGE_AFTER + timedelta(hours=2))
        left = {row["key"] for row in await conn.fetch("SELECT key FROM throttles")}
    assert purged == 1
    assert left == {"recent:lock", "long:lock"}

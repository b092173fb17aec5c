"""Attempt throttling per key: an attempt is reserved *before* its secret is checked, so a
burst of parallel requests cannot all read "open" and all be checked.

Two kinds of key:
- a **lock** key (``reserve_attempt``), smart-lockout style: the limit-th attempt within a
  window locks the key for a minute; the first attempt after a lock locks it again for twice
  as long, up to an hour; a quiet key forgets one lock level an hour; a success clears it.
- a **slow-down** key (``reserve_slot``): after a number of free attempts each one waits for
  a slot, the slots drawing apart (1 s, 2 s, 4 s ... up to 30 s); a slot too far off is
  refused. Used where a lock would shut out everyone behind one address.

Keys name what is throttled and never hold a secret, an email or a username (the edge puts
keyed digests there). Every change is one SQL statement. ``now`` replaces the database's
clock, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from store.sql import query

FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
# A key left alone this long drops one lock level (its next lock is half as long).
LOCK_DECAY = timedelta(hours=1)
FIRST_DELAY = timedelta(seconds=1)
LONGEST_DELAY = timedelta(seconds=30)
# Idle rows older than this count for nothing (windows closed, lock levels decayed).
PURGE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class LockRule:
    limit: int  # attempts within the window; the limit-th locks the key
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a throttle allows at least one attempt before it locks")
        if self.window <= timedelta(0):
            raise ValueError("a throttle window is a positive duration")


@dataclass(frozen=True)
class SlowRule:
    free: int  # attempts within the window that never wait
    window: timedelta = timedelta(minutes=15)
    # A slot further off than this is refused rather than waited for: a request never hangs.
    longest_wait: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if self.free < 1:
            raise ValueError("a slow-down key lets at least one attempt through at once")
        if self.window <= timedelta(0) or self.longest_wait < timedelta(0):
            raise ValueError("a slow-down window is positive and its longest wait not negative")


@dataclass(frozen=True)
class Reservation:
    """A lock key's answer: ``refused_for`` how much longer it stays locked (nothing was
    counted), or reserved — and then ``locks_for`` is the lock this very attempt started."""

    refused_for: timedelta | None = None
    locks_for: timedelta | None = None


@dataclass(frozen=True)
class Slot:
    """A slow-down key's answer: wait ``wait`` and go, or (``refused``) come back after it."""

    wait: timedelta
    refused: bool = False


async def reserve_attempt(
    conn: asyncpg.Connection, key: str, rule: LockRule, *, now: datetime | None = None
) -> Reservation:
    """Reserve one attempt on a lock key (it counts from now on), or refuse it while locked."""
    for _ in range(3):
        row = await conn.fetchrow(
            query("throttles/reserve_attempt"), key, rule.limit, rule.window, now, FIRST_LOCK, LONGEST_LOCK, LOCK_DECAY
        )
        if row is not None:
            return Reservation(locks_for=row["lock"])
        remaining = await locked_for(conn, key, now=now)
        if remaining is not None:
            return Reservation(refused_for=remaining)
        # The lock ended between the two statements: try again.
    return Reservation(refused_for=FIRST_LOCK)


async def reserve_slot(conn: asyncpg.Connection, key: str, rule: SlowRule, *, now: datetime | None = None) -> Slot:
    """Reserve one attempt on a slow-down key: how long it must wait first, or a refusal."""
    for _ in range(3):
        wait = await conn.fetchval(
            query("throttles/reserve_slot"), key, rule.free, rule.window, now, FIRST_DELAY, LONGEST_DELAY,
            rule.longest_wait,
        )
        if wait is not None:
            return Slot(wait)
        until = await conn.fetchval(query("throttles/slot_at"), key, now)
        if until is not None:
            return Slot(until, refused=True)
    return Slot(FIRST_DELAY, refused=True)


async def locked_for(conn: asyncpg.Connection, key: str, *, now: datetime | None = None) -> timedelta | None:
    """How much longer ``key`` stays locked, or None when it is open."""
    return await conn.fetchval(query("throttles/locked_for"), key, now)


async def refund(conn: asyncpg.Connection, key: str) -> None:
    """Give one reserved attempt back: it succeeded on a slow-down key, or checked nothing."""
    await conn.execute(query("throttles/refund"), key)


async def clear(conn: asyncpg.Connection, key: str) -> None:
    """Forget the attempts and lockouts of ``key``, after a success."""
    await conn.execute(query("throttles/clear"), key)


async def purge(conn: asyncpg.Connection, *, idle: timedelta = PURGE_AFTER, now: datetime | None = None) -> int:
    """Delete the rows that count for nothing any more; returns how many went."""
    return await conn.fetchval(query("throttles/purge"), idle, now)

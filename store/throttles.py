"""Failure throttling per key, in the style of smart lockout.

After ``limit`` failures within ``window`` a key locks for a minute; the first failure after
a lock locks it again for twice as long, up to an hour; a success clears it. Keys name what
is throttled, such as "regcode:npi:1234567893" or "regcode:ip:127.0.0.1", and never hold a
secret. Every change is one SQL statement, so concurrent failures all count. ``now``
replaces the database's clock, for tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from store.sql import query

FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)


async def locked_for(
    conn: asyncpg.Connection, key: str, *, now: datetime | None = None
) -> timedelta | None:
    """How much longer ``key`` stays locked, or None when it is open."""
    return await conn.fetchval(query("throttles/locked_for"), key, now)


async def record_failure(
    conn: asyncpg.Connection,
    key: str,
    *,
    limit: int = 10,
    window: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> timedelta | None:
    """Count one failure; returns the lock it caused, or None when the key stays open
    (or was already locked: failures during a lock are not counted)."""
    if limit < 1:
        raise ValueError("a throttle allows at least one failure before it locks")
    if window <= timedelta(0):
        raise ValueError("a throttle window is a positive duration")
    return await conn.fetchval(
        query("throttles/record_failure"), key, limit, window, now, FIRST_LOCK, LONGEST_LOCK
    )


async def clear(conn: asyncpg.Connection, key: str) -> None:
    """Forget the failures and lockouts of ``key``, after a success."""
    await conn.execute(query("throttles/clear"), key)

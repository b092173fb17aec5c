"""Attempt limits at the edge, over several keys at once (per account and per client):
an attempt is refused while any of its keys is locked, and a failure counts on all of them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

import asyncpg

from store import throttles


async def lockout(conn: asyncpg.Connection, keys: Iterable[str]) -> timedelta | None:
    """How long the longest lock among ``keys`` still runs, or None when all are open."""
    locks = [lock for key in keys if (lock := await throttles.locked_for(conn, key)) is not None]
    return max(locks, default=None)


async def count_failure(
    conn: asyncpg.Connection, keys: Iterable[str], *, limit: int, window: timedelta
) -> timedelta | None:
    """Count one failure on every key; the longest lock that caused, or None."""
    locks = [
        lock
        for key in keys
        if (lock := await throttles.record_failure(conn, key, limit=limit, window=window)) is not None
    ]
    return max(locks, default=None)


def too_many_attempts(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Too many attempts. Please try again in {minutes} minute{'s' if minutes != 1 else ''}."

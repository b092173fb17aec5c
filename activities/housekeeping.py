"""The PostgreSQL side of the hourly housekeeping (workflows/maintenance.py)."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from store import staged_passwords, throttles


class HousekeepingActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def all(self) -> list:
        return [self.purge_throttles, self.purge_staged_passwords]

    @activity.defn(name="purge_throttles")
    async def purge_throttles(self) -> int:
        """Throttle rows that count for nothing any more (idle two days, no running lock)."""
        async with self._pool.acquire() as conn:
            return await throttles.purge(conn)

    @activity.defn(name="purge_staged_passwords")
    async def purge_staged_passwords(self) -> int:
        """New passwords staged at the edge that no flow took up in time."""
        async with self._pool.acquire() as conn:
            return await staged_passwords.purge(conn)

"""A person's recovery codes (migrations/0013), by their keyed digests only."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from store.sql import query


@dataclass(frozen=True)
class CodesLeft:
    left: int
    issued: int


async def replace(conn: asyncpg.Connection, user_id: UUID, digests: list[str]) -> None:
    """A new set in place of the old: every earlier code stops working. Run in a transaction."""
    await conn.execute(query("recovery_codes/remove"), user_id)
    await conn.execute(query("recovery_codes/add"), user_id, digests)


async def spend(conn: asyncpg.Connection, user_id: UUID, digest: str, by: str) -> bool:
    return await conn.fetchval(query("recovery_codes/spend"), user_id, digest, by) is not None


async def left(conn: asyncpg.Connection, user_id: UUID) -> CodesLeft:
    row = await conn.fetchrow(query("recovery_codes/left"), user_id)
    return CodesLeft(left=row["left"], issued=row["issued"])


async def remove(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute(query("recovery_codes/remove"), user_id)

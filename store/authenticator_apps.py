"""A person's authenticator app (migrations/0013): the sealed secret in use, one being set
up, and the last time step whose code was accepted. The secrets stay sealed here; sealing
and codes are domain/authenticator_app.py's."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from store.sql import query


@dataclass(frozen=True)
class AppForCheck:
    secret_sealed: bytes | None  # the app in use
    pending_sealed: bytes | None  # one being set up
    last_used_step: int
    last_used_by: str


async def stage(conn: asyncpg.Connection, user_id: UUID, sealed: bytes) -> None:
    await conn.execute(query("authenticator_apps/stage"), user_id, sealed)


async def pending(conn: asyncpg.Connection, user_id: UUID) -> bytes | None:
    return await conn.fetchval(query("authenticator_apps/pending"), user_id)


async def for_check(conn: asyncpg.Connection, user_id: UUID) -> AppForCheck | None:
    """Locks the row until the transaction ends: codes for one account are checked in turn."""
    row = await conn.fetchrow(query("authenticator_apps/for_check"), user_id)
    return None if row is None else AppForCheck(**dict(row))


async def confirm(conn: asyncpg.Connection, user_id: UUID, step: int, by: str) -> bool:
    return await conn.fetchval(query("authenticator_apps/confirm"), user_id, step, by) is not None


async def spend_step(conn: asyncpg.Connection, user_id: UUID, step: int, by: str) -> bool:
    return await conn.fetchval(query("authenticator_apps/spend_step"), user_id, step, by) is not None


async def remove(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute(query("authenticator_apps/remove"), user_id)

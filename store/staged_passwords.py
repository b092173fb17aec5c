"""New passwords between the edge and the flow (migrations/0006_staged_passwords.sql): the
edge stages the argon2id hash under the flow's id, the flow's activity applies it, so the
hash never enters workflow history."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from store.sql import query

# Long enough for the flow to take the step it was staged for, short enough to be gone soon.
STAGED_FOR = timedelta(minutes=5)


async def stage(conn: asyncpg.Connection, flow_id: str, account_id: UUID, password_hash: str) -> None:
    if not password_hash.startswith("$argon2id$"):
        raise ValueError("only an argon2id hash of the password is staged")
    await conn.execute(query("staged_passwords/stage"), flow_id, account_id, password_hash, STAGED_FOR)


async def apply(conn: asyncpg.Connection, flow_id: str, account_id: UUID) -> bool:
    """Set the account's password to the one staged for this flow; False when there is none
    (never staged, expired, or staged for another account)."""
    return await conn.fetchval(query("staged_passwords/apply"), flow_id, account_id) is not None


async def discard(conn: asyncpg.Connection, flow_id: str) -> None:
    await conn.execute(query("staged_passwords/discard"), flow_id)


async def purge(conn: asyncpg.Connection) -> int:
    """Remove what expired unused; returns how many."""
    return await conn.fetchval(query("staged_passwords/purge"))

"""Provider members as their administrators see them on "Manage Users" (guide, "Provider
Administrator Reset Registration"). Who may act on whom is decided here, in one query: the
target must be a member of a provider the admin administers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from store.sql import query


@dataclass(frozen=True)
class ManagedUser:
    provider_id: int
    provider_npi: str
    provider_name: str
    id: UUID
    username: str
    first_name: str
    last_name: str
    email: str | None
    status: str
    mfa_method: str | None
    is_admin: bool
    # The latest admin reset: pending | re_registered | expired | cancelled | restarted, or None.
    reset_state: str | None
    reset_requested_at: datetime | None
    reset_ended_at: datetime | None
    # Not staff, and in no provider this administrator does not administer.
    resettable: bool = True


async def administers_any(conn: asyncpg.Connection, user_id: UUID) -> bool:
    return await conn.fetchval(query("members/administers_any"), user_id)


async def managed_by(conn: asyncpg.Connection, admin_id: UUID) -> list[ManagedUser]:
    """The members of every provider ``admin_id`` administers, by provider, then by name."""
    return [ManagedUser(**dict(row)) for row in await conn.fetch(query("members/managed_by"), admin_id)]


async def managed_user(conn: asyncpg.Connection, admin_id: UUID, user_id: UUID) -> ManagedUser | None:
    """``user_id`` when ``admin_id`` may act on them; None for an unknown id, another
    provider's user, and the admin themselves alike."""
    row = await conn.fetchrow(query("members/managed_user"), admin_id, user_id)
    return ManagedUser(**dict(row)) if row else None

"""Server-side sessions with idle and absolute timeouts (HIPAA automatic logoff).

The caller turns the session cookie into a keyed digest first: this module, like the
table, only ever sees that digest. ``now`` replaces the database's clock, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from domain.digests import is_digest
from store.sql import query


# How long after a claim's first sign-in the same browser may sign in from it again: the answer
# to its first was lost (the API died mid-request), and the person pressed again.
CLAIM_REPEAT_WINDOW = timedelta(minutes=2)


class ClaimUsed(Exception):
    """The flow claim signed in before, and that sign-in ended or began longer ago than
    CLAIM_REPEAT_WINDOW."""


@dataclass(frozen=True)
class SessionUser:
    id: UUID
    first_name: str
    last_name: str
    username: str


@dataclass(frozen=True)
class ActiveSession:
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    this_session: bool


async def create_session(
    conn: asyncpg.Connection,
    id_digest: str,
    user_id: UUID | str,
    *,
    idle: timedelta,
    absolute: timedelta,
    user_agent: str = "",
    client_ip: str | None = None,
    now: datetime | None = None,
    authenticated_at: datetime | None = None,
    from_claim: str = "",
) -> None:
    """``authenticated_at``: when the person proved who they are, if not now (a Remember Me
    sign-in): the absolute timeout counts from then. ``from_claim``: the digest of the flow
    claim the sign-in came from; it signs in once, or again while its session lives and within
    CLAIM_REPEAT_WINDOW of its first (ClaimUsed otherwise), and then the session the earlier
    sign-in left ends (call this inside a transaction)."""
    if not is_digest(id_digest):
        raise ValueError("sessions are stored by the 64-hex digest of their token, never the token")
    if from_claim:
        if not is_digest(from_claim):
            raise ValueError("a claim is stored by its 64-hex digest")
        await conn.execute(query("sessions/lock_claim"), from_claim)
        if await conn.fetchval(query("sessions/claim_used"), from_claim, CLAIM_REPEAT_WINDOW, now):
            raise ClaimUsed()
        await conn.execute(query("sessions/end_same_claim"), from_claim)
    await conn.execute(
        query("sessions/create"), id_digest, _uuid(user_id), idle, absolute, user_agent, client_ip, now,
        authenticated_at, from_claim,
    )


async def touch_session(
    conn: asyncpg.Connection, id_digest: str, *, idle: timedelta, now: datetime | None = None
) -> SessionUser | None:
    """The user of a live session, whose idle deadline moves to ``now + idle`` (never past
    the absolute one); None for a session that is unknown, revoked, expired, or whose user
    may no longer sign in."""
    row = await conn.fetchrow(query("sessions/touch"), id_digest, idle, now)
    return SessionUser(**dict(row)) if row else None


async def revoke_session(conn: asyncpg.Connection, id_digest: str) -> bool:
    """End one session (logout); False when it was unknown or already revoked."""
    return await conn.fetchval(query("sessions/revoke"), id_digest) is not None


async def revoke_all_for_user(
    conn: asyncpg.Connection, user_id: UUID | str, *, except_digest: str | None = None
) -> int:
    """End every session of a user (password or admin reset), except ``except_digest`` if
    given; returns how many were ended."""
    return await conn.fetchval(query("sessions/revoke_all_for_user"), _uuid(user_id), except_digest)


async def live_for_user(
    conn: asyncpg.Connection,
    user_id: UUID | str,
    *,
    this_digest: str | None = None,
    now: datetime | None = None,
) -> list[ActiveSession]:
    """The user's sessions that still work, most recently used first; ``this_digest`` marks
    the asking browser's."""
    rows = await conn.fetch(query("sessions/live_for_user"), _uuid(user_id), this_digest, now)
    return [ActiveSession(**dict(row)) for row in rows]


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)

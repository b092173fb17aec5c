"""A user's audit trail, for staff: newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from operations.errors import UnknownUser
from store.accounts import account_by_username
from store.audit import AuditEvent, trail

PAGE_MAX = 200


@dataclass(frozen=True)
class TrailPage:
    username: str
    user_id: str
    events: list[AuditEvent]
    next_before: int | None  # pass as ``before`` for the next (older) page


async def user_trail(conn: asyncpg.Connection, username: str, *, limit: int = 50, before: int | None = None) -> TrailPage:
    user = await account_by_username(conn, username.strip())
    if user is None:
        raise UnknownUser(f"No user named {username!r}.")
    limit = max(1, min(limit, PAGE_MAX))
    events = await trail(conn, user.id, limit=limit, before_id=before)
    next_before = events[-1].id if len(events) == limit else None
    return TrailPage(user.username, str(user.id), events, next_before)

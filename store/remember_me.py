"""Remember Me tokens (guide §5): a browser that checked the box may skip the password and
the second factor for the same login option until the token's server-side expiry.

Like sessions, a token is stored only as the keyed digest of the browser's cookie. ``now``
replaces the database's clock, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from domain.digests import is_digest
from store.sql import query

LOGIN_OPTIONS = ("phone", "email")


@dataclass(frozen=True)
class RememberedLogin:
    login_option: str
    created_at: datetime
    expires_at: datetime
    this_browser: bool


async def issue_token(
    conn: asyncpg.Connection,
    token_digest: str,
    user_id: UUID | str,
    login_option: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
    authenticated_at: datetime | None = None,
) -> None:
    if not is_digest(token_digest):
        raise ValueError("Remember Me tokens are stored by the 64-hex digest of their cookie, never the cookie")
    if login_option not in LOGIN_OPTIONS:
        raise ValueError(f"Remember Me is set for a login option, phone or email, not {login_option!r}")
    if ttl <= timedelta(0):
        raise ValueError("a Remember Me token lives for a positive duration")
    await conn.execute(query("remember_me/issue"), token_digest, _uuid(user_id), login_option, ttl, now, authenticated_at)


@dataclass(frozen=True)
class Remembered:
    user_id: UUID
    authenticated_at: datetime  # the login that set the token: sessions count from it


async def remembered(
    conn: asyncpg.Connection, token_digest: str, login_option: str, *, now: datetime | None = None
) -> Remembered | None:
    """Who a live token remembers for ``login_option``, and since which login; None for a
    token that is unknown, revoked, expired, or was set with the other option."""
    row = await conn.fetchrow(query("remember_me/user_for"), token_digest, login_option, now)
    return Remembered(**dict(row)) if row else None


async def remembered_user(
    conn: asyncpg.Connection, token_digest: str, login_option: str, *, now: datetime | None = None
) -> UUID | None:
    """The active user a live token remembers for ``login_option`` (see ``remembered``)."""
    found = await remembered(conn, token_digest, login_option, now=now)
    return found.user_id if found else None


async def revoke_token(conn: asyncpg.Connection, token_digest: str) -> UUID | None:
    """Turn one browser's Remember Me off; returns whose it was, None when it was not live."""
    return await conn.fetchval(query("remember_me/revoke"), token_digest)


async def revoke_all_for_user(conn: asyncpg.Connection, user_id: UUID | str) -> int:
    """Turn Remember Me off on every browser of a user; returns how many tokens that ended."""
    return await conn.fetchval(query("remember_me/revoke_all_for_user"), _uuid(user_id))


async def live_for_user(
    conn: asyncpg.Connection,
    user_id: UUID | str,
    *,
    this_digest: str | None = None,
    now: datetime | None = None,
) -> list[RememberedLogin]:
    """The user's live tokens, newest first; ``this_digest`` marks the asking browser's."""
    rows = await conn.fetch(query("remember_me/live_for_user"), _uuid(user_id), this_digest, now)
    return [RememberedLogin(**dict(row)) for row in rows]


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)

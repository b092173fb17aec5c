"""Checks of what the data must never show, whatever crashed while it was written: accounts a
registration left half made, steps recorded twice. The proving ground runs them after every
scenario; each answers with the offending rows, described for a person."""

from __future__ import annotations

import asyncpg

from store.sql import query


async def half_accounts(conn: asyncpg.Connection) -> list[str]:
    return [f"{row['username']}: {row['problem']}" for row in await conn.fetch(query("integrity/half_accounts"))]


async def repeated_events(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(query("integrity/repeated_events"))
    return [f"{row['username']}: {row['event']} written {row['times']} times by one flow" for row in rows]


async def account_status(conn: asyncpg.Connection, usernames: list[str]) -> dict[str, str]:
    """The status of each of these usernames' accounts; a username without one is left out."""
    return {row["username"]: row["status"] for row in await conn.fetch(query("integrity/accounts_named"), usernames)}


async def sessions_of(conn: asyncpg.Connection, usernames: list[str]) -> dict[str, int]:
    return {row["username"]: row["sessions"] for row in await conn.fetch(query("integrity/sessions_of"), usernames)}


async def live_sessions_of(conn: asyncpg.Connection, usernames: list[str]) -> dict[str, int]:
    return {row["username"]: row["sessions"] for row in await conn.fetch(query("integrity/live_sessions_of"), usernames)}

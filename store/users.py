"""Writing user accounts: the legacy import, memberships, staff and admin grants, status.
An account is read through store/accounts.py (one Account model)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from store import remember_me, sessions
from store.accounts import account_by_username
from store.errors import AlreadyExists, NotApplicable, NotFound
from store.providers import get_provider_by_npi
from store.sql import query

# Unique constraint names from migrations/0001_init.sql, mapped to what a person is told.
_TAKEN = {
    "users_username_unique": "The username {username!r} is already taken.",
    "users_email_unique": "The email address {email} is already used by another account.",
}


async def import_legacy_user(
    conn: asyncpg.Connection,
    *,
    username: str,
    password_hash: str,
    first_name: str,
    last_name: str,
    email: str,
    provider_id: int,
) -> UUID:
    """Create an active legacy user who is a member of ``provider_id``; returns the user id.

    Run it inside a transaction: the user and the membership belong together.
    """
    try:
        user_id = await conn.fetchval(
            query("users/insert_legacy"), username, first_name, last_name, email, password_hash
        )
    except asyncpg.UniqueViolationError as exc:
        template = _TAKEN.get(exc.constraint_name or "", "{username!r} clashes with another user.")
        raise AlreadyExists(template.format(username=username, email=email)) from None
    await add_membership(conn, user_id, provider_id)
    return user_id


async def add_membership(
    conn: asyncpg.Connection, user_id: UUID, provider_id: int, *, is_admin: bool = False
) -> None:
    try:
        await conn.execute(query("users/add_membership"), user_id, provider_id, is_admin)
    except asyncpg.UniqueViolationError:
        raise AlreadyExists("This user is already a member of this provider.") from None
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("No such user or provider.") from None


async def grant_admin(conn: asyncpg.Connection, username: str, npi: str) -> UUID:
    """Make ``username`` an administrator of the provider with ``npi``; returns the user id."""
    user = await account_by_username(conn, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    provider = await get_provider_by_npi(conn, npi)
    if provider is None:
        raise NotFound(f"No provider with NPI {npi}.")
    await conn.execute(query("users/grant_admin"), user.id, provider.id)
    return user.id


async def grant_staff(conn: asyncpg.Connection, username: str) -> UUID:
    """Let ``username`` use the staff tools (flow search, codec endpoint); returns the user id."""
    user_id = await conn.fetchval(query("users/grant_staff"), username)
    if user_id is None:
        raise NotFound(f"No user named {username!r}.")
    return user_id


async def set_status(conn: asyncpg.Connection, username: str, status: str) -> UUID:
    """Disable (HIPAA termination) or enable ``username``. Disabling ends its sessions and
    Remember Me everywhere and every login or enrollment under way; run it in a transaction.
    NotFound for an unknown username, NotApplicable for a registration that is not finished."""
    if status not in ("active", "disabled"):
        raise ValueError("an account is enabled ('active') or disabled")
    row = await conn.fetchrow(query("users/set_status"), username, status)
    if row is None:
        raise NotFound(f"No user named {username!r}.")
    if row["was"] == "pending":
        verb = "enable" if status == "active" else "disable"
        raise NotApplicable(f"{username!r} has not finished registering: there is nothing to {verb}.")
    if status == "disabled":
        await sessions.revoke_all_for_user(conn, row["id"])
        await remember_me.revoke_all_for_user(conn, row["id"])
    return row["id"]


async def taken_usernames(conn: asyncpg.Connection, usernames: Iterable[str]) -> set[str]:
    """Those of ``usernames`` already in use, lowercased (usernames ignore case)."""
    rows = await conn.fetch(query("users/taken_usernames"), list(usernames))
    return {row["username"].lower() for row in rows}


async def taken_emails(conn: asyncpg.Connection, emails: Iterable[str]) -> set[str]:
    """Those of ``emails`` already in use, lowercased (emails are compared ignoring case)."""
    rows = await conn.fetch(query("users/taken_emails"), list(emails))
    return {row["email"].lower() for row in rows}

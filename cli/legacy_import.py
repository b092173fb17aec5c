"""`atrezzo user import-legacy FILE.csv`: bring in portal users who predate MFA, all or none."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import asyncpg

from cli.database import connected
from cli.failures import BadInput
from cli.legacy_csv import LegacyRow, read_legacy_csv, report
from domain.passwords import hash_password
from settings import load_settings
from store import audit
from store.errors import AlreadyExists
from store.providers import provider_ids_by_npi
from store.users import import_legacy_user, taken_emails, taken_usernames


def run(args: argparse.Namespace) -> str:
    path = Path(args.file)
    rows = read_legacy_csv(path)
    settings = load_settings()
    asyncio.run(_import(settings.database_url, path, rows))
    return f"Imported {len(rows)} legacy user(s) from {path}."


async def _import(database_url: str, path: Path, rows: list[LegacyRow]) -> None:
    async with connected(database_url) as conn:
        provider_ids = await _check_against_database(conn, path, rows)
        # Hash before the transaction opens: argon2 takes tens of milliseconds per row,
        # and the transaction should not hold its locks that long.
        hashes = [hash_password(row.password) for row in rows]
        async with conn.transaction():
            for row, password_hash in zip(rows, hashes):
                await _insert(conn, path, row, password_hash, provider_ids[row.npi])


async def _check_against_database(
    conn: asyncpg.Connection, path: Path, rows: list[LegacyRow]
) -> dict[str, int]:
    provider_ids = await provider_ids_by_npi(conn, (row.npi for row in rows))
    usernames = await taken_usernames(conn, (row.username for row in rows))
    emails = await taken_emails(conn, (row.email for row in rows))
    problems: list[str] = []
    for row in rows:
        if row.npi not in provider_ids:
            problems.append(
                f"line {row.line} (npi): no provider with NPI {row.npi}; "
                "add it with `atrezzo provider add`"
            )
        if row.username.lower() in usernames:
            problems.append(f"line {row.line} (username): {row.username} is already taken")
        if row.email.lower() in emails:
            problems.append(f"line {row.line} (email): {row.email} already belongs to an account")
    if problems:
        raise report(path, problems)
    return provider_ids


async def _insert(
    conn: asyncpg.Connection, path: Path, row: LegacyRow, password_hash: str, provider_id: int
) -> None:
    try:
        user_id = await import_legacy_user(
            conn,
            username=row.username,
            password_hash=password_hash,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            provider_id=provider_id,
        )
    except AlreadyExists as exc:
        # Someone else created this user after our check; the transaction rolls back.
        raise BadInput(f"{path}: line {row.line}: {exc.message}; nothing was imported") from None
    await audit.record(
        conn, "user.legacy_imported", subject=user_id, detail={"npi": row.npi, "via": "cli"}
    )

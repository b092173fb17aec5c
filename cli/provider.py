"""`atrezzo provider add`: let a provider organisation register, by NPI and registration code."""

from __future__ import annotations

import argparse
import asyncio

from cli.database import connected
from cli.failures import BadInput
from domain.npi import parse_npi
from domain.passwords import hash_password
from settings import load_settings
from store import audit
from store.providers import add_provider

# The code is the only secret between us and the provider, so it must not be guessable.
MIN_CODE_LENGTH = 8
MAX_CODE_LENGTH = 128
MAX_NAME_LENGTH = 200


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("provider", help="manage provider organisations")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a provider that users can register for")
    add.add_argument("--npi", required=True, help="the provider's 10-digit NPI")
    add.add_argument("--name", required=True, help="the organisation's name")
    add.add_argument(
        "--registration-code",
        required=True,
        metavar="CODE",
        help=f"what users enter with the NPI ({MIN_CODE_LENGTH}-{MAX_CODE_LENGTH} characters)",
    )
    add.set_defaults(handler=run_add)


def run_add(args: argparse.Namespace) -> str:
    npi = parse_npi(args.npi)
    name = _checked_name(args.name)
    code = _checked_code(args.registration_code)
    settings = load_settings()
    asyncio.run(_add(settings.database_url, npi, name, hash_password(code)))
    return f"Added provider {npi} ({name})."


async def _add(database_url: str, npi: str, name: str, code_hash: str) -> None:
    async with connected(database_url) as conn, conn.transaction():
        await add_provider(conn, npi, name, code_hash)
        await audit.record(conn, "provider.added", detail={"npi": npi, "via": "cli"})


def _checked_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise BadInput("--name: enter the provider's name")
    if len(name) > MAX_NAME_LENGTH:
        raise BadInput(f"--name: use at most {MAX_NAME_LENGTH} characters")
    return name


def _checked_code(text: str) -> str:
    code = text.strip()
    if not MIN_CODE_LENGTH <= len(code) <= MAX_CODE_LENGTH:
        raise BadInput(
            f"--registration-code: use {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters"
        )
    return code

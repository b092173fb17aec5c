"""`atrezzo user ...`: import legacy users, grant provider-admin or staff rights, and disable
or enable accounts."""

from __future__ import annotations

import argparse
import asyncio

from cli import legacy_import
from cli.database import connected
from cli.legacy_csv import COLUMNS
from domain.npi import parse_npi
from settings import load_settings
from store import audit
from store.users import grant_admin, grant_staff, set_status


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("user", help="manage user accounts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    imports = actions.add_parser(
        "import-legacy",
        help="import portal users who predate MFA from a CSV file (all rows or none)",
        description=f"The first line of the file must be exactly: {','.join(COLUMNS)}",
    )
    imports.add_argument("file", metavar="FILE.csv")
    imports.set_defaults(handler=legacy_import.run)

    admin = actions.add_parser("grant-admin", help="make a user an administrator of a provider")
    admin.add_argument("username")
    admin.add_argument("--npi", required=True, help="the provider's NPI")
    admin.set_defaults(handler=run_grant_admin)

    staff = actions.add_parser("grant-staff", help="give a user the staff tools")
    staff.add_argument("username")
    staff.set_defaults(handler=run_grant_staff)

    disable = actions.add_parser(
        "disable", help="disable an account: it signs in nowhere, and its sessions and Remember Me end now"
    )
    disable.add_argument("username")
    disable.set_defaults(handler=run_set_status, status="disabled")

    enable = actions.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("username")
    enable.set_defaults(handler=run_set_status, status="active")


def run_grant_admin(args: argparse.Namespace) -> str:
    npi = parse_npi(args.npi)
    username = args.username.strip()
    asyncio.run(_grant_admin(load_settings().database_url, username, npi))
    return f"{username} is now an administrator of provider {npi}."


def run_grant_staff(args: argparse.Namespace) -> str:
    username = args.username.strip()
    asyncio.run(_grant_staff(load_settings().database_url, username))
    return f"{username} now has staff access."


def run_set_status(args: argparse.Namespace) -> str:
    username = args.username.strip()
    asyncio.run(_set_status(load_settings().database_url, username, args.status))
    if args.status == "disabled":
        return f"{username} is disabled: it signs in nowhere, and its sessions and Remember Me have ended."
    return f"{username} is enabled again."


async def _set_status(database_url: str, username: str, status: str) -> None:
    async with connected(database_url) as conn, conn.transaction():
        user_id = await set_status(conn, username, status)
        event = "user.disabled" if status == "disabled" else "user.enabled"
        await audit.record(conn, event, subject=user_id, detail={"via": "cli"})


async def _grant_admin(database_url: str, username: str, npi: str) -> None:
    async with connected(database_url) as conn, conn.transaction():
        user_id = await grant_admin(conn, username, npi)
        await audit.record(
            conn, "provider_admin.granted", subject=user_id, detail={"npi": npi, "via": "cli"}
        )


async def _grant_staff(database_url: str, username: str) -> None:
    async with connected(database_url) as conn, conn.transaction():
        user_id = await grant_staff(conn, username)
        await audit.record(conn, "staff.granted", subject=user_id, detail={"via": "cli"})

"""`atrezzo migrate`: bring the database schema up to date."""

from __future__ import annotations

import argparse
import asyncio

from settings import load_settings
from store.migrate import migrate


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("migrate", help="apply the database migrations not applied yet")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> str:
    applied = asyncio.run(migrate(load_settings().database_url))
    if not applied:
        return "Database schema is already up to date."
    return f"Applied {len(applied)} migration(s): {', '.join(applied)}."

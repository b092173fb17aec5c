"""Runs the installed `atrezzo` console script as a separate process, as an operator would,
and reads back what it left in the database."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

ATREZZO = Path(sys.executable).parent / "atrezzo"
NPI = "1234567893"
ADD_PROVIDER = (
    "provider", "add", "--npi", NPI, "--name", "Clinic", "--registration-code", "REG-CODE-0001"
)
_SETTING_PREFIXES = ("DATABASE_", "SECRET_", "PAYLOAD_", "TWILIO_")


def settings_vars(database_url: str) -> dict[str, str]:
    """The settings every command needs, pointing at ``database_url``."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "cli-test-secret-key-0123456789abcdef",
        "PAYLOAD_KEYS": "k1:" + base64.b64encode(b"\x01" * 32).decode(),
        "TWILIO_AUTH_TOKEN": "cli-test-twilio-token",
    }


def settings_env(database_url: str) -> dict[str, str]:
    """A whole process environment: ours, without any settings the test runner had."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_SETTING_PREFIXES)}
    return inherited | settings_vars(database_url)


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ATREZZO), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def one_line(text: str) -> str:
    """The output, asserting it is exactly one line."""
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    assert "Traceback" not in text
    return lines[0]


async def fetch(database_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def fetch_value(database_url: str, sql: str, *args: object) -> object:
    rows = await fetch(database_url, sql, *args)
    return rows[0][0] if rows else None

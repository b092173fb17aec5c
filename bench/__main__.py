"""`python -m bench`: the application as it is deployed — API and worker processes apart, two
of each — on loopback, a load generator in a process of its own, and one table whose ratios all
come from this run: every row read against the engine floor measured beside it (just before
and just after, with the workflow tasks that timed out in each), then each process's steps one
by one, then what one flow cost each kind of process on the CPU."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from temporalio.client import Client

from bench.deployed import Deployed, deployed
from bench.login_users import add_email_users
from bench.measure import Stats, StepStats
from bench.report import beside_table, cpu_table, step_tables, table
from bench.rows import beside, rows
from bench.scenario import LOGIN, Row
from bench.task_timeouts import timed_out_tasks
from devstack import seed
from domain.passwords import hash_password
from store.pool import create_pool

LOAD_GENERATOR = "load generator"


@dataclass(frozen=True)
class Measured:
    stats: Stats
    cpu: dict[str, float]
    started: datetime  # the row's first measured flow was started after this, its last before ended
    ended: datetime


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=200, help="flows per engine floor row (default 200)")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="flows in flight in the concurrent engine floor row (default 50)"
    )
    parser.add_argument("--registrations", type=int, default=100, help="registrations per registration row (default 100)")
    parser.add_argument("--logins", type=int, default=100, help="logins per login row (default 100)")
    parser.add_argument(
        "--quick", action="store_true", help="10 flows, concurrency 5, 3 registrations, 3 logins: a smoke run"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.flows, args.concurrency, args.registrations, args.logins = 10, 5, 3, 3
    if min(args.flows, args.concurrency, args.registrations, args.logins) < 1:
        parser.error("--flows, --concurrency, --registrations and --logins must be at least 1")
    return args


async def run(args: argparse.Namespace) -> None:
    print(
        f"engine: embedded Temporal dev server, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"temporalio {version('temporalio')}; API and worker processes apart (2 + 2), load generator apart; "
        f"{args.flows} flows per engine floor row, {args.registrations} per registration row, {args.logins} per login row",
        flush=True,
    )
    measured: list[tuple[Row, Measured]] = []
    floors_beside: list[tuple[Row, Measured, Measured, Measured]] = []
    async with deployed() as app:
        for row in rows(args):
            floor_row = beside(row, args)
            if floor_row is None:
                measured.append((row, await _measure(app, row)))
                continue
            # The shared machine's speed moves from minute to minute: a floor on each side of
            # the row shows how far it moved while the row ran, and the row is read against both.
            before = await _measure(app, floor_row)
            this = await _measure(app, row)
            after = await _measure(app, floor_row)
            measured.append((row, this))
            floors_beside.append((row, this, before, after))
        # Read once every row is done, so reading histories never slows a row or its floors.
        client = await Client.connect(app.topology.temporal_address)
        timed_out = [[await timed_out_tasks(client, m.started, m.ended) for m in (this, before, after)]
                     for _, this, before, after in floors_beside]
    named = [(row.name, m.stats) for row, m in measured]
    print(table(named), flush=True)
    for steps in step_tables([(row.name, m.stats) for row, m in measured if row.per_step]):
        print(f"\n{steps}", flush=True)
    print(f"\n{cpu_table([(row.name, m.cpu) for row, m in measured])}", flush=True)
    beside_rows = [(row.name, row.concurrency, this.stats, before.stats, after.stats, tuple(lost))
                   for (row, this, before, after), lost in zip(floors_beside, timed_out, strict=True)]
    print(f"\n{beside_table(beside_rows)}", flush=True)


async def _measure(app: Deployed, row: Row) -> Measured:
    """One row through the load generator; CPU-seconds per flow of each kind of process."""
    with tempfile.TemporaryDirectory(prefix="atrezzo-bench-load-") as folder:
        spec, out = Path(folder) / "spec.json", Path(folder) / "out.json"
        spec.write_text(json.dumps({"row": dataclasses.asdict(row), **await _reach(app, row)}))
        generator = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.load", str(spec), str(out),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert generator.stdin is not None and generator.stdout is not None
        warm = await generator.stdout.readline()
        before = app.cpu_seconds()
        started = datetime.now(UTC)
        if warm.strip() == b"warm":
            generator.stdin.write(b"go\n")
            await generator.stdin.drain()
        await generator.wait()
        ended = datetime.now(UTC)
        after = app.cpu_seconds()
        if generator.returncode != 0 or not out.exists():
            raise RuntimeError(f"the load generator failed on {row.name!r} (exit {generator.returncode})")
        result = json.loads(out.read_text())
    stats = result["stats"]
    stats = Stats(**{**stats, "steps": {name: StepStats(**step) for name, step in stats["steps"].items()}})
    cpu = {kind: (after[kind] - before[kind]) / row.count for kind in after}
    cpu[LOAD_GENERATOR] = result["cpu_seconds"] / row.count
    return Measured(stats, cpu, started, ended)


async def _reach(app: Deployed, row: Row) -> dict:
    """What the load generator needs besides the row: the app's addresses and settings, and for
    a login row, its people (made in the database first: a login is measured, not a registration)."""
    topology = app.topology
    reach = {
        "api_urls": topology.api_urls, "mail_url": topology.mail_url,
        "npi": seed.PROVIDER_NPI, "registration_code": seed.REGISTRATION_CODE,
        "settings": {"secret_key": topology.secrets["SECRET_KEY"], "payload_keys": topology.secrets["PAYLOAD_KEYS"],
                     "twilio_auth_token": topology.secrets["TWILIO_AUTH_TOKEN"], "temporal_address": topology.temporal_address},
    }
    if row.kind == LOGIN:
        password = secrets.token_urlsafe(18)
        pool = await create_pool(topology.database_url)
        try:
            users = await add_email_users(pool, seed.PROVIDER_NPI, await asyncio.to_thread(hash_password, password),
                                          row.warmup + row.count)
        finally:
            await pool.close()
        reach |= {"password": password, "users": [dataclasses.asdict(user) for user in users]}
    return reach


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except BaseException as exc:  # noqa: BLE001 - one clear line, whatever broke
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        print(f"bench: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    # temporalio's native core can crash the interpreter at shutdown (sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

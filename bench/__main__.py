"""`python -m bench`: start the engine, run a worker in-process, measure every scenario and
print one table whose ratios all come from this run, then each process's steps one by one."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from contextlib import AsyncExitStack
from importlib.metadata import version

from temporalio.worker import PollerBehaviorAutoscaling, Worker

from bench.app_stack import AppStackOnDemand
from bench.measure import measure, noop_flow
from bench.report import SCENARIOS, step_tables, table
from bench.scenario import Bench
from bench.stack import bench_settings, engine_description, start_engine

WARMUP_FLOWS = 20
REGISTRATIONS = 100
LOGINS = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--flows", type=int, default=200, help="flows per engine floor row (default 200)")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="flows in flight in the concurrent engine floor row (default 50)"
    )
    parser.add_argument(
        "--registrations", type=int, default=REGISTRATIONS, help=f"registrations per registration row (default {REGISTRATIONS})"
    )
    parser.add_argument("--logins", type=int, default=LOGINS, help=f"logins per login row (default {LOGINS})")
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
    settings = bench_settings()
    workflows = list(dict.fromkeys(w for s in SCENARIOS for w in s.workflows))
    activities = list(dict.fromkeys(a for s in SCENARIOS for a in s.activities))
    print(
        f"engine: {engine_description()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"temporalio {version('temporalio')}; {args.flows} flows per engine floor row, "
        f"{args.registrations} per registration row, {args.logins} per login row",
        flush=True,
    )
    async with start_engine(settings) as client, AsyncExitStack() as app_resources:
        # Polled like the production worker (worker.py), so the floor is the engine as deployed.
        async with Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=workflows,
            activities=activities,
            workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
            activity_task_poller_behavior=PollerBehaviorAutoscaling(),
        ):
            bench = Bench(
                client,
                settings.temporal_task_queue,
                args.flows,
                args.concurrency,
                args.registrations,
                args.logins,
                AppStackOnDemand(app_resources, client, settings),
            )
            # Not measured: the first flows pay for worker start-up, workflow cache and connections.
            await measure(noop_flow(client, bench.task_queue), min(WARMUP_FLOWS, args.flows * 2), args.concurrency)
            rows = []
            for scenario in SCENARIOS:
                rows.append((scenario.title(bench), await scenario.run(bench)))
    print(table(rows), flush=True)
    per_step = [row for row, scenario in zip(rows, SCENARIOS) if scenario.per_step]
    for steps in step_tables(per_step):
        print(f"\n{steps}", flush=True)


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

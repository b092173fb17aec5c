"""`python -m bench.load SPEC OUT`: the load generator, in a process of its own, as people and
programs are apart from the portal. SPEC (JSON) names the row (bench/scenario.py) and how to
reach the deployed app. It runs the row's warm-up, prints "warm" and waits for a line on stdin
(the orchestrator reads every process's CPU time then), measures, and writes the stats and its
own CPU-seconds to OUT."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

from bench.floor_worker import TASK_QUEUE
from bench.login import login_flow
from bench.login_users import LoginUser
from bench.mail_watch import watching
from bench.measure import Flow, measure, noop_flow
from bench.password_verification import verification_flow
from bench.portal import Portal
from bench.registration import registration_flow
from bench.scenario import FLOOR, LOGIN, REGISTRATION, VERIFY, Row
from engine.client import connect
from settings import Settings


async def run(spec: dict) -> dict:
    row = Row(**spec["row"])
    async with AsyncExitStack() as resources:
        flows = await _flows(row, spec, resources)
        if row.warmup:
            await measure(flows(0), row.warmup, row.concurrency)
        print("warm", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        cpu = time.process_time()
        stats = await measure(flows(row.warmup), row.count, row.concurrency)
        return {"stats": dataclasses.asdict(stats), "cpu_seconds": time.process_time() - cpu}


async def _flows(row: Row, spec: dict, resources: AsyncExitStack) -> Callable[[int], Flow]:
    """The row's flow, for the people from number ``first`` on (the warm-up takes the first)."""
    if row.kind == VERIFY:
        flow = verification_flow()
        return lambda first: flow
    if row.kind == FLOOR:
        settings = Settings(**spec["settings"])
        client = await connect(settings)
        # Started as the app starts its flows (FLOW_TASK_TIMEOUT), so a lost task costs both alike.
        return lambda first: noop_flow(client, TASK_QUEUE, row.updates, settings.flow_task_timeout)
    mail = await resources.enter_async_context(watching(spec["mail_url"]))
    portal = Portal(spec["api_urls"], mail, spec["npi"], spec["registration_code"])
    if row.kind == REGISTRATION:
        return lambda first: registration_flow(portal)
    if row.kind == LOGIN:
        users = [LoginUser(**user) for user in spec["users"]]
        return lambda first: login_flow(portal, users[first:], spec["password"])
    raise ValueError(f"no such row kind: {row.kind!r}")


def main() -> None:
    spec_path, out_path = sys.argv[1:3]
    result = asyncio.run(run(json.loads(Path(spec_path).read_text())))
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
    # temporalio's native core can crash the interpreter at shutdown (sdk-python#300).
    sys.stdout.flush()
    os._exit(0)

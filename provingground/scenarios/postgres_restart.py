"""Scenario 5: PostgreSQL restarts (a fast shutdown: every session cut, the data kept) a third
and two thirds of the way through the load. The pools of both APIs and both workers recover;
nothing is left half written — an account without its audit row or what finishing
registration sets, a step written twice; nobody is lost or sees a server error."""

from __future__ import annotations

import asyncio

from provingground.ground import Ground, Size
from provingground.journeys import STEPS
from provingground.outcome import Outcome

TITLE = "5. PostgreSQL restarted twice mid-load"
RESTARTS = 2


async def run(ground: Ground, size: Size) -> Outcome:
    people = await ground.people(size.registrations, size.logins)
    total = sum(len(STEPS[kind]) for kind, _ in people)
    strike_at = {max(1, total * (n + 1) // (RESTARTS + 1)) for n in range(RESTARTS)}
    done = 0
    restarts: list[asyncio.Task] = []

    async def on_step(journey: str, step: str) -> None:
        nonlocal done
        done += 1
        if done in strike_at:
            restarts.append(asyncio.create_task(ground.topology.restart_postgres()))

    load = await ground.load(people, concurrency=size.concurrency, on_step=on_step)
    await asyncio.gather(*restarts)
    return await ground.judge(load, faults=len(restarts))

"""Scenario 3: the Temporal dev server stops for 30 seconds in the middle of the load and starts
again on its state file. While it is down the API answers "try again" (503), never a 500; once
it is back every flow goes on from where it was."""

from __future__ import annotations

import asyncio

from provingground.ground import Ground, Size
from provingground.journeys import STEPS
from provingground.outcome import Outcome

TITLE = "3. Temporal stopped for {outage:.0f} s mid-load"


async def run(ground: Ground, size: Size) -> Outcome:
    people = await ground.people(size.registrations, size.logins)
    # A quarter of the way in: every kind of screen is in flight somewhere.
    strike_after = max(1, sum(len(STEPS[kind]) for kind, _ in people) // 4)
    done = 0
    outage: asyncio.Task | None = None

    async def on_step(journey: str, step: str) -> None:
        nonlocal done, outage
        done += 1
        if done == strike_after:
            outage = asyncio.create_task(_outage(ground, size.outage_seconds))

    load = await ground.load(people, concurrency=size.concurrency, on_step=on_step)
    if outage is not None:
        await outage
    return await ground.judge(load, faults=1 if outage else 0)


async def _outage(ground: Ground, seconds: float) -> None:
    await ground.topology.stop_process("temporal")
    await asyncio.sleep(seconds)
    await ground.topology.start_process("temporal")

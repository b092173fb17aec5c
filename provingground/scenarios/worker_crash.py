"""Scenario 1: `kill -9` a worker at every step of a registration and of a login, and start it
again a few seconds later. The other worker (then the restarted one) carries on: every flow
finishes, nothing is doubled beyond the at-least-once rule, nothing is stuck."""

from __future__ import annotations

from devstack.topology import REPLICAS
from provingground.ground import Ground, Size
from provingground.outcome import Outcome
from provingground.strikes import EveryStep

TITLE = "1. kill -9 a worker at every step"
RESTART_AFTER = 3.0  # seconds a killed worker stays down (an orchestrator's restart delay)


async def run(ground: Ground, size: Size) -> Outcome:
    people = await ground.people(size.registrations, size.logins)
    strikes = EveryStep(ground, [f"worker-{r}" for r in REPLICAS], RESTART_AFTER)
    load = await ground.load(people, concurrency=size.concurrency, on_step=strikes.on_step)
    await strikes.restarted()
    return await ground.judge(load, faults=strikes.kills)

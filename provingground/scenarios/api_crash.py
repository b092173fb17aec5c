"""Scenario 2: `kill -9` an API process mid-request at every step (the other one keeps
serving), and start it again. The person's press that died with it is pressed again, on the
other API: the screen works, and no account is left half made."""

from __future__ import annotations

from devstack.topology import REPLICAS
from provingground.ground import Ground, Size
from provingground.outcome import Outcome
from provingground.strikes import EveryStep

TITLE = "2. kill -9 an API process mid-request at every step"
RESTART_AFTER = 2.0


async def run(ground: Ground, size: Size) -> Outcome:
    people = await ground.people(size.registrations, size.logins)
    strikes = EveryStep(ground, [f"api-{r}" for r in REPLICAS], RESTART_AFTER)
    load = await ground.load(people, concurrency=size.concurrency, on_step=strikes.on_step)
    await strikes.restarted()
    return await ground.judge(load, faults=strikes.kills)

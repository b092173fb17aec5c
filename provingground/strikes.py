"""Striking a process at a chosen moment: `kill -9` once at every step of both journeys — the
first time someone finishes "the link email is sent", "the password", "Send verification
code", ... — while everyone else is mid-request, and starting it again a moment later, as an
orchestrator restarts a crashed container."""

from __future__ import annotations

import asyncio
import itertools

from provingground.ground import Ground, OnStep
from provingground.journeys import LOGIN_STEPS, REGISTRATION_STEPS


class EveryStep:
    def __init__(self, ground: Ground, victims: list[str], restart_after: float) -> None:
        self._ground = ground
        self._victims = itertools.cycle(victims)
        self._restart_after = restart_after
        self._pending = {("registration", s) for s in REGISTRATION_STEPS} | {("login", s) for s in LOGIN_STEPS}
        self._restarts: list[asyncio.Task] = []
        # Struck and not yet serving again: a process still starting is no victim (killing it
        # then would break the harness's restart, not the app).
        self._down: set[str] = set()
        self.kills = 0

    @property
    def on_step(self) -> OnStep:
        return self._strike

    async def _strike(self, journey: str, step: str) -> None:
        if (journey, step) not in self._pending:
            return
        # In turn; when the next is still down from the last strike, the one after it goes.
        victim = next(self._victims)
        if victim in self._down:
            victim = next(self._victims)
        if victim in self._down:
            return  # all down: strike at this step's next occurrence
        self._pending.discard((journey, step))
        self._down.add(victim)
        await self._ground.topology.kill(victim)
        self.kills += 1
        self._restarts.append(asyncio.create_task(self._restart(victim)))

    async def _restart(self, name: str) -> None:
        await asyncio.sleep(self._restart_after)
        await self._ground.topology.start_process(name)
        self._down.discard(name)

    async def restarted(self) -> None:
        """Wait until every process struck is running again."""
        await asyncio.gather(*self._restarts)

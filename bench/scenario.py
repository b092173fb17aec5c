"""What a scenario is, and what it gets to run with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from temporalio.client import Client

from bench.app_stack import AppStack
from bench.measure import Stats


@dataclass(frozen=True)
class Bench:
    """What a scenario gets: a client with the project's data converter, the task queue the
    in-process worker polls, the run's size, and the application stack (started on first ask)."""

    client: Client
    task_queue: str
    flows: int
    concurrency: int
    registrations: int
    logins: int
    app_stack: Callable[[], Awaitable[AppStack]]


@dataclass(frozen=True)
class Scenario:
    # May name {flows} or {concurrency}; filled in from the run's options.
    name: str
    run: Callable[[Bench], Awaitable[Stats]]
    # Registered on the in-process worker; a scenario needing more (activities with
    # clients, a database) starts its own worker inside ``run``.
    workflows: Sequence[type] = ()
    activities: Sequence[Callable] = ()
    # Its steps are listed one by one under the main table.
    per_step: bool = False

    def title(self, bench: Bench) -> str:
        return self.name.format(flows=bench.flows, concurrency=bench.concurrency)

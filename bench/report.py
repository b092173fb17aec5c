"""The scenarios a run measures and the table it prints. Every row is read against the
first one, the sequential engine floor, measured in the same run on the same machine.

Adding a process is one entry in SCENARIOS below (its flow lives in a bench/ module of its own)::

    Scenario("registration, sequential", registration.sequential, workflows=(RegistrationWorkflow,)),
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from temporalio.client import Client

from bench.measure import Stats, measure, noop_flow
from bench.noop_workflow import NoopWorkflow


@dataclass(frozen=True)
class Bench:
    """What a scenario gets: a client with the project's data converter, the task queue the
    in-process worker polls, and the run's size."""

    client: Client
    task_queue: str
    flows: int
    concurrency: int


@dataclass(frozen=True)
class Scenario:
    # May name {flows} or {concurrency}; filled in from the run's options.
    name: str
    run: Callable[[Bench], Awaitable[Stats]]
    # Registered on the in-process worker; a scenario needing more (activities with
    # clients, a database) starts its own worker inside ``run``.
    workflows: Sequence[type] = ()
    activities: Sequence[Callable] = ()

    def title(self, bench: Bench) -> str:
        return self.name.format(flows=bench.flows, concurrency=bench.concurrency)


async def _floor_sequential(bench: Bench) -> Stats:
    return await measure(noop_flow(bench.client, bench.task_queue), bench.flows)


async def _floor_concurrent(bench: Bench) -> Stats:
    return await measure(noop_flow(bench.client, bench.task_queue), bench.flows, bench.concurrency)


# The first entry is the baseline of the "× floor" column: keep it first.
SCENARIOS: list[Scenario] = [
    Scenario("engine floor, sequential", _floor_sequential, workflows=(NoopWorkflow,)),
    Scenario("engine floor, {concurrency} concurrent", _floor_concurrent, workflows=(NoopWorkflow,)),
]

COLUMNS = ("scenario", "flows/s", "update p50", "update p99", "flow p50", "flow p99", "× floor")


def table(rows: Sequence[tuple[str, Stats]]) -> str:
    """Rows as (name, stats); the first row is the floor. Latencies in ms."""
    if not rows:
        raise ValueError("no rows to report")
    floor = rows[0][1].flow_p50_ms
    cells = [COLUMNS] + [
        (
            name,
            f"{stats.flows_per_s:.1f}",
            _ms(stats.update_p50_ms),
            _ms(stats.update_p99_ms),
            _ms(stats.flow_p50_ms),
            _ms(stats.flow_p99_ms),
            f"{stats.flow_p50_ms / floor:.2f}" if floor > 0 else "n/a",
        )
        for name, stats in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms"

"""Measurement primitives: run a flow N times, one at a time or C at once, and time every
named step and every whole flow. A flow is any coroutine; it times its steps through a Recorder."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from temporalio.client import Client

from bench.noop_workflow import STEPS, NoopWorkflow

T = TypeVar("T")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below it."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:
        raise ValueError("pct must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


@dataclass
class Recorder:
    """Collects latencies (seconds) of every step, by name, made by the flows of one measurement.
    Names keep the order they were first seen in, so a report lists steps as a flow takes them."""

    steps: dict[str, list[float]] = field(default_factory=dict)

    async def step(self, name: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        result = await call
        self.steps.setdefault(name, []).append(time.perf_counter() - started)
        return result

    async def update(self, call: Awaitable[T]) -> T:
        return await self.step("update", call)


@dataclass(frozen=True)
class StepStats:
    count: int
    p50_ms: float
    p99_ms: float

    @classmethod
    def from_samples(cls, samples: list[float]) -> StepStats:
        return cls(len(samples), percentile(samples, 50) * 1000, percentile(samples, 99) * 1000)


@dataclass(frozen=True)
class Stats:
    flows: int
    concurrency: int
    seconds: float
    flows_per_s: float
    # Over every step of every flow, whatever its name.
    step_p50_ms: float
    step_p99_ms: float
    flow_p50_ms: float
    flow_p99_ms: float
    steps: dict[str, StepStats] = field(default_factory=dict)

    @classmethod
    def from_samples(
        cls, concurrency: int, seconds: float, flows: list[float], steps: dict[str, list[float]]
    ) -> Stats:
        every_step = [latency for samples in steps.values() for latency in samples]
        return cls(
            flows=len(flows),
            concurrency=concurrency,
            seconds=seconds,
            flows_per_s=len(flows) / seconds if seconds > 0 else math.inf,
            step_p50_ms=percentile(every_step, 50) * 1000 if every_step else math.nan,
            step_p99_ms=percentile(every_step, 99) * 1000 if every_step else math.nan,
            flow_p50_ms=percentile(flows, 50) * 1000,
            flow_p99_ms=percentile(flows, 99) * 1000,
            steps={name: StepStats.from_samples(samples) for name, samples in steps.items() if samples},
        )


# A flow: given its index and the recorder, drive one process from start to finish.
Flow = Callable[[int, Recorder], Awaitable[None]]


async def measure(flow: Flow, flows: int, concurrency: int = 1) -> Stats:
    """Run ``flows`` flows with at most ``concurrency`` in flight; concurrency 1 is sequential."""
    if flows < 1 or concurrency < 1:
        raise ValueError("flows and concurrency must be at least 1")
    recorder = Recorder()
    durations: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            started = time.perf_counter()
            await flow(index, recorder)
            durations.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for index in range(flows):
            group.create_task(one(index))
    return Stats.from_samples(concurrency, time.perf_counter() - started, durations, recorder.steps)


def noop_flow(client: Client, task_queue: str, updates: int = STEPS, task_timeout: timedelta | None = None) -> Flow:
    """The engine floor's flow: start, ``updates`` updates, await the result."""
    run = uuid.uuid4().hex[:8]

    async def flow(index: int, recorder: Recorder) -> None:
        handle = await client.start_workflow(
            NoopWorkflow.run, updates, id=f"bench-noop-{run}-{index}", task_queue=task_queue, task_timeout=task_timeout
        )
        for n in range(1, updates + 1):
            answer = await recorder.update(handle.execute_update(NoopWorkflow.step, n))
            if answer != n:
                raise RuntimeError(f"noop flow {index}: step {n} answered {answer}")
        applied = await handle.result()
        if applied != updates:
            raise RuntimeError(f"noop flow {index}: finished after {applied} steps, not {updates}")

    return flow

"""A flow whose one workflow task keeps the CPU busy for as long as it is told, as a replay of a
long history after a worker's restart does (tests/test_worker.py). Its own module, with nothing
but Temporal imported: the workflow sandbox imports it afresh for each run."""

from __future__ import annotations

import time

from temporalio import workflow


@workflow.defn(name="BusyFlow")
class BusyFlow:
    @workflow.run
    async def run(self, cpu_seconds: float) -> None:
        with workflow.unsafe.sandbox_unrestricted():
            until = time.thread_time() + cpu_seconds
            while time.thread_time() < until:
                pass

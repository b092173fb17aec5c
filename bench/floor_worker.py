"""`python -m bench.floor_worker`: the engine floor's worker, a process of its own as the
application's workers are, polled as worker.py polls and holding as many workflow tasks at once
(WORKER_WORKFLOW_TASKS), so a bound set for a run holds on both sides. It opens READY_PORT once
it polls, so whoever started it knows (as the application's workers open their metrics port)."""

from __future__ import annotations

import asyncio
import os

from temporalio.worker import PollerBehaviorAutoscaling, Worker

from bench.noop_workflow import NoopWorkflow
from engine.client import connect
from engine.sandbox import passing_through
from settings import Settings

TASK_QUEUE = "bench-floor"


async def serve(ready_port: int) -> None:
    settings = Settings()
    client = await connect(settings)
    async with Worker(
        client, task_queue=TASK_QUEUE, workflows=[NoopWorkflow], workflow_runner=passing_through("bench"),
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
    ):
        ready = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", ready_port)
        async with ready:
            await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(os.environ["READY_PORT"])))

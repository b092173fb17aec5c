"""The benchmark counts the workflow tasks that timed out in the flows a row started, from their
histories on a real dev server: here a first task taken by a poll that never answers, as the
saturated dev server's lost deliveries leave it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import PollWorkflowTaskQueueRequest
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.noop_workflow import NoopWorkflow
from bench.task_timeouts import started_between, timed_out_tasks

VISIBLE_WITHIN = 10.0  # seconds: the dev server writes visibility a moment after a start


async def test_a_task_a_poll_took_and_never_answered_is_counted_in_its_window_only(temporal_env):
    client = temporal_env.client
    queue = f"timeouts-{uuid.uuid4().hex[:8]}"
    started_from = datetime.now(UTC)
    lost = await client.start_workflow(NoopWorkflow.run, 1, id=f"lost-{uuid.uuid4()}", task_queue=queue,
                                       task_timeout=timedelta(seconds=1))
    request = PollWorkflowTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=queue), identity="gone")
    taken = await client.workflow_service.poll_workflow_task_queue(request)
    assert taken.workflow_execution == WorkflowExecution(workflow_id=lost.id, run_id=lost.result_run_id)
    async with Worker(client, task_queue=queue, workflows=[NoopWorkflow], workflow_runner=UnsandboxedWorkflowRunner()):
        # The task times out after a second and a worker takes it again; a second flow has none.
        await lost.execute_update(NoopWorkflow.step, 1)
        assert await lost.result() == 1
        answered = await client.start_workflow(NoopWorkflow.run, 1, id=f"answered-{uuid.uuid4()}", task_queue=queue)
        await answered.execute_update(NoopWorkflow.step, 1)
        assert await answered.result() == 1
    started_to = datetime.now(UTC)

    counted = await _when_visible(client, started_from, started_to, flows=2)
    assert counted == 1
    # Flows started outside the window are not read.
    assert await timed_out_tasks(client, started_from - timedelta(hours=1), started_from - timedelta(minutes=59)) == 0


async def _when_visible(client, started_from: datetime, started_to: datetime, flows: int) -> int:
    deadline = asyncio.get_running_loop().time() + VISIBLE_WITHIN
    while len([e async for e in client.list_workflows(started_between(started_from, started_to))]) < flows:
        assert asyncio.get_running_loop().time() < deadline, "the flows never showed in visibility"
        await asyncio.sleep(0.1)
    return await timed_out_tasks(client, started_from, started_to)

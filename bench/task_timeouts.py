"""Workflow tasks that timed out, counted in the histories of the flows a row started.

On a saturated machine the embedded dev server now and then loses a flow's first workflow task.
Matching hands the task to a worker's poll and asks History to record it as started, with a
deadline of one second (`recordTaskStartedSyncMatchTimeout` in Temporal Server's matching
engine). History commits the start but answers late, Matching gives up on that delivery, and
the retry finds the task already started and drops it: no worker ever gets it
(temporalio/temporal#11733). The flow, and the person waiting on it, waits out its task timeout
(FLOW_TASK_TIMEOUT, 10 s) until Temporal hands the task to a worker again. One such wait in a
row of 100 logins at 50 at once halves the row's rate, so the report says how many each row met.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

AT_ONCE = 8  # histories read at a time: enough to be quick, few enough not to crowd the server


async def timed_out_tasks(client: Client, started_from: datetime, started_to: datetime) -> int:
    """Workflow tasks that timed out in every flow started between the two instants (aware)."""
    executions = [(e.id, e.run_id) async for e in client.list_workflows(started_between(started_from, started_to))]
    reading = asyncio.Semaphore(AT_ONCE)

    async def count(workflow_id: str, run_id: str | None) -> int:
        async with reading:
            history = client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events()
            return sum([event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT async for event in history])

    return sum(await asyncio.gather(*(count(workflow_id, run_id) for workflow_id, run_id in executions)))


def started_between(started_from: datetime, started_to: datetime) -> str:
    """The visibility query for the flows started between the two instants."""
    return f'StartTime >= "{_rfc3339(started_from)}" AND StartTime <= "{_rfc3339(started_to)}"'


def _rfc3339(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("an instant of a row must carry its time zone")
    return instant.isoformat()

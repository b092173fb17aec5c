"""The worker as worker.py builds it, under a burst of flows started as the API starts them.

A worker takes up to WORKER_WORKFLOW_TASKS (100) workflow tasks and works on all of them at
once on one core, so in a burst each task it holds takes as long as the burst.
FLOW_TASK_TIMEOUT must outlast that: a task timed out while its worker is alive is done twice
(a code sent twice in the proving ground's scenario 1 when the timeout was 3 s)."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType

from api.flows import Flows
from store.pool import create_pool
from tests.support.busy_flow import BusyFlow
from tests.support.temporal import client_for, make_settings
from worker import build_worker

FLOWS = 16
CPU_SECONDS_A_TASK = 0.3  # 4.8 s of work for the 16, and a Python process has one core for it


async def test_a_burst_of_busy_tasks_in_a_live_worker_outlasts_no_flow_task_timeout(temporal_env, db_url):
    """With the 3-second timeout of before, 10 of the 16 tasks timed out and were done again."""
    assert await _timed_out_in_a_burst(temporal_env, db_url, make_settings()) == []


async def test_a_bounded_worker_holds_few_tasks_so_even_a_short_timeout_outlasts_a_burst(temporal_env, db_url):
    """WORKER_WORKFLOW_TASKS: the rest of the burst waits at Temporal, where no timeout runs.
    Without the bound, 3 s timed out 10 to 13 of the 16."""
    settings = make_settings(flow_task_timeout="PT3S", worker_workflow_tasks=2)
    assert await _timed_out_in_a_burst(temporal_env, db_url, settings) == []


async def _timed_out_in_a_burst(temporal_env, db_url, settings) -> list[str]:
    """The flows of a burst whose workflow task timed out at least once."""
    client = client_for(temporal_env, settings)
    flows = Flows(client, settings, signer=None, templates=None)  # type: ignore[arg-type]
    pool = await create_pool(db_url)
    try:
        async with build_worker(client, settings, pool, workflows=[BusyFlow]):
            flow_ids = await asyncio.gather(*(flows.start("busy", BusyFlow.run, CPU_SECONDS_A_TASK) for _ in range(FLOWS)))
            handles = [client.get_workflow_handle(flow_id) for flow_id in flow_ids]
            try:
                await asyncio.wait_for(asyncio.gather(*(handle.result() for handle in handles)), 60)
            except asyncio.TimeoutError:
                pass  # tasks timing out over and over: their histories say so below
    finally:
        await pool.close()
    return [
        handle.id for handle in handles
        if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT for e in (await handle.fetch_history()).events)
    ]

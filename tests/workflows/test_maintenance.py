"""The hourly housekeeping flow, and its schedule on the dev server."""

from __future__ import annotations

import uuid

from temporalio import activity
from temporalio.worker import Worker

from engine.schedules import EVERY, SCHEDULE_ID, ensure_schedule
from tests.support.temporal import client_for, make_settings
from workflows.maintenance import Housekeeping, MaintenanceWorkflow


async def test_a_run_purges_and_reports_what_went(temporal_env):
    settings = make_settings()
    client = client_for(temporal_env, settings)
    calls: list[str] = []

    @activity.defn(name="purge_throttles")
    async def purge_throttles() -> int:
        calls.append("purge_throttles")
        return 3

    @activity.defn(name="purge_staged_passwords")
    async def purge_staged_passwords() -> int:
        calls.append("purge_staged_passwords")
        return 1

    async with Worker(
        client, task_queue=settings.temporal_task_queue, workflows=[MaintenanceWorkflow],
        activities=[purge_throttles, purge_staged_passwords],
    ):
        result = await client.execute_workflow(
            MaintenanceWorkflow.run, id=f"maintenance-{uuid.uuid4()}", task_queue=settings.temporal_task_queue
        )
    assert result == Housekeeping(throttles_purged=3, staged_passwords_purged=1)
    assert calls == ["purge_throttles", "purge_staged_passwords"]


async def test_the_schedule_is_created_once_and_runs_hourly(temporal_env):
    settings = make_settings()
    client = client_for(temporal_env, settings)
    handle = client.get_schedule_handle(SCHEDULE_ID)
    try:
        await handle.delete()
    except Exception:  # not there yet: nothing to clean up
        pass
    assert await ensure_schedule(client, settings.temporal_task_queue) is True
    assert await ensure_schedule(client, settings.temporal_task_queue) is False  # the second worker
    described = await handle.describe()
    assert [interval.every for interval in described.schedule.spec.intervals] == [EVERY]
    assert described.schedule.action.workflow == "MaintenanceWorkflow"
    await handle.delete()

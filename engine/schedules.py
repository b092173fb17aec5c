"""The engine's one Temporal schedule: housekeeping every hour (workflows/maintenance.py)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from workflows.maintenance import MaintenanceWorkflow

SCHEDULE_ID = "atrezzo-maintenance"
EVERY = timedelta(hours=1)


async def ensure_schedule(client: Client, task_queue: str) -> bool:
    """Create the hourly schedule unless it exists (every worker calls this at start; the
    first one wins). True when this call created it."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            MaintenanceWorkflow.run, id="maintenance", task_queue=task_queue, execution_timeout=timedelta(minutes=30)
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=EVERY)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True

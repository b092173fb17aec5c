"""Housekeeping on a Temporal schedule (hourly): what the engine keeps only for a while is
removed once it counts for nothing — throttle rows whose windows have closed and whose lock
levels have decayed, and new passwords staged at the edge that no flow took up. Each run is
short and leaves its counts as its result, readable in the Temporal UI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.housekeeping import HousekeepingActivities

_DB = {"start_to_close_timeout": timedelta(minutes=1), "retry_policy": RetryPolicy(maximum_attempts=5)}


@dataclass(frozen=True)
class Housekeeping:
    throttles_purged: int = 0
    staged_passwords_purged: int = 0


@workflow.defn
class MaintenanceWorkflow:
    @workflow.run
    async def run(self) -> Housekeeping:
        throttles = await workflow.execute_activity_method(HousekeepingActivities.purge_throttles, **_DB)
        staged = await workflow.execute_activity_method(HousekeepingActivities.purge_staged_passwords, **_DB)
        return Housekeeping(throttles_purged=throttles, staged_passwords_purged=staged)

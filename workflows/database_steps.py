"""The flows' short database steps (an account row written, read or released, an audit entry):
how they run, in one place.

A step runs as a *local* activity: on the worker already running the flow, inside the
workflow task that asked for it. Temporal records its result as one marker, instead of
scheduling an activity task, handing it to a poller, recording its start and completion and
sending a new workflow task — three events and two round trips fewer per step. At least once
holds as for any activity: a step that committed and then lost its worker runs again (the
writes are idempotent, and an audit row is keyed by its activity, activities/attempts.py).
Sends to SMTP and Twilio stay ordinary activities: they outlive a workflow task in an outage.

Flows started before a worker ran them this way go on as ordinary activities (replay).

The step a restarted run takes first, in a workflow task no update began (it reads what the
account already holds), is an ordinary activity (``first_task_step``). In such a task the SDK's
core (temporalio 1.35) sometimes records a local step that ended at once, and then runs the
code after it in a second task: often when the screen is read (a query) meanwhile. Replay runs
that code in the first task, where a ``workflow.patched`` call answers differently, and fails.
Seen in 2 to 4 of 10 restarted enrollments and registrations in the test environment
(tests/workflows/test_database_steps.py). An administrator's reset's first steps split too
(7 of 20 runs read meanwhile), and all of those histories replayed: they stay local steps.
A task an update began splits too, less often (a registration's NEXT, its screen read all the
while): since then every run decides its ``workflow.patched`` changes at its start, before any
step (workflows/versions.py), and a split task replays."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.versions import FIRST_TASK_STEPS, LOCAL_STEPS, patched

# Retries stay under the local retry threshold (1 min): every attempt keeps its activity id.
DATABASE_STEP = {"start_to_close_timeout": timedelta(seconds=15), "retry_policy": RetryPolicy(maximum_attempts=5)}
A = TypeVar("A")
R = TypeVar("R")


async def database_step(activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """``activity``: the method of activities.postgres.AccountActivities the step runs; its
    name is the activity's, its annotation the result's type."""
    if patched(LOCAL_STEPS):
        return await workflow.execute_local_activity_method(activity, arg, **DATABASE_STEP)
    return await workflow.execute_activity_method(activity, arg, **DATABASE_STEP)


async def first_task_step(activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """The database step a restarted run takes first, in a task no update began: an ordinary
    activity, so the code after it runs in a task of its own, on every replay as the first time."""
    if patched(FIRST_TASK_STEPS):
        return await workflow.execute_activity_method(activity, arg, **DATABASE_STEP)
    return await database_step(activity, arg)

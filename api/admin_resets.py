"""An administrator's Reset of a user they manage, sent to the user's one admin-reset flow and
answered once that flow has applied it — by the flow's own answer, not by watching its view.

The request is an update-with-start: it starts the flow, or reaches the one running. A running
flow for an earlier request gives way to a new run for this one (continue-as-new) and answers
as it does; the request then goes again, to the run that follows, which answers once applied."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from api.flow_timings import flow_timings
from settings import Settings
from store.members import ManagedUser
from store.sessions import SessionUser
from workflows.admin_reset import AdminResetStart, AdminResetView, ProviderAdminResetWorkflow, admin_reset_id

# How long Manage Users waits for the reset to be applied before showing the list anyway:
# the reset goes on, and the list shows it once it has been.
WAIT_AT_MOST = 20.0
# Between a run's answer that it is giving way and the request to the run that follows: the
# old run still records how it ended (milliseconds) before the new one takes requests.
_GIVING_WAY = 0.05


def reset_request(settings: Settings, admin: SessionUser, target: ManagedUser) -> AdminResetStart:
    return AdminResetStart(
        account_id=str(target.id),
        requested_by=str(admin.id),
        request_id=str(uuid.uuid4()),
        email=target.email or "",
        first_name=target.first_name,
        link_ttl_seconds=int(settings.admin_reset_link_ttl.total_seconds()),
        timings=flow_timings(settings),
    )


async def request_reset(client: Client, task_queue: str, start: AdminResetStart) -> AdminResetView | None:
    """The flow's view once it has applied ``start``; None when that took longer than
    WAIT_AT_MOST (the reset still goes on)."""
    try:
        return await asyncio.wait_for(_until_applied(client, task_queue, start), WAIT_AT_MOST)
    except asyncio.TimeoutError:
        return None


async def _until_applied(client: Client, task_queue: str, start: AdminResetStart) -> AdminResetView:
    while True:
        starting = WithStartWorkflowOperation(
            ProviderAdminResetWorkflow.run, start, id=admin_reset_id(start.account_id),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, task_queue=task_queue,
            task_timeout=start.timings.task_timeout,
        )
        try:
            view = await client.execute_update_with_start_workflow(
                ProviderAdminResetWorkflow.request_reset, start, start_workflow_operation=starting,
                result_type=AdminResetView,
            )
        except WorkflowUpdateFailedError:
            # The run ended (continued as new) before it took the request. (A refusal cannot
            # come: the flow's id is the account's, which its validator checks.)
            view = None
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
            view = None  # the run ended as the request reached it
        if view is not None and view.request_id == start.request_id:
            return view
        await asyncio.sleep(_GIVING_WAY)

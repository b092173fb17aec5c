"""Cancelling and restarting flows.

Both act on the root flow: an enrollment a registration (or a registration reset) started
as its child is cancelled or restarted through that parent, whose cancellation reaches the
child. A cancelled flow cleans up after itself (see each workflow's cancellation handler).

A restart keeps the workflow id, so the person's browser (its cookie names the flow id) and
the flow's audit trail stay with it: the running flow is told it is being restarted (the
``operator_restart`` signal: its cancellation then keeps what the person already saved),
cancelled, and once closed a new run of the same workflow type starts under the same id with
the first run's start input, read from its history. The memo tells the new run it is a
restart, so it can pick up what the database already holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.api.history.v1 import WorkflowExecutionStartedEventAttributes
from temporalio.client import Client, WorkflowHandle

from operations.errors import FlowClosed, OperationRefused
from operations.flows import STATUS, FlowRow, root_of
from workflows.flow import OPERATOR_RESTART, RESTARTED_FROM

# How long we wait for a cancelled flow to finish its clean-up (a few activities).
CLOSE_WAIT_SECONDS = 60.0
_POLL_EVERY = 0.2


@dataclass(frozen=True)
class ActionResult:
    flow_id: str  # the root flow acted on
    asked_for: str  # the id the operator gave (a child's, perhaps)
    old_run_id: str
    status: str  # the old run's status once the action is done
    new_run_id: str = ""  # restarts only
    account_id: str = ""


async def cancel_flow(client: Client, flow_id: str) -> ActionResult:
    root = await _running_root(client, flow_id)
    handle = client.get_workflow_handle(root.id, run_id=root.run_id)
    await handle.cancel()
    status = await _closed(handle)
    return ActionResult(root.id, flow_id, root.run_id, status, account_id=root.account_id)


async def restart_flow(client: Client, flow_id: str) -> ActionResult:
    root = await _running_root(client, flow_id)
    handle = client.get_workflow_handle(root.id, run_id=root.run_id)
    started = await _first_event(handle)
    # Decoded without type hints (plain JSON values): encoded again by the same converter, they
    # are the same input.
    start_args = list(await client.data_converter.decode(list(started.input.payloads)))
    await handle.signal(OPERATOR_RESTART)
    await handle.cancel()
    status = await _closed(handle)
    if status == "running":
        raise OperationRefused(f"Flow {root.id} was asked to stop but has not finished yet; try the restart again shortly.")
    new = await client.start_workflow(
        root.workflow_type,
        args=start_args,
        id=root.id,
        task_queue=root.task_queue,
        # The run's own: FLOW_TASK_TIMEOUT when it was started (Temporal's default before that).
        task_timeout=started.workflow_task_timeout.ToTimedelta() if started.HasField("workflow_task_timeout") else None,
        memo={RESTARTED_FROM: root.run_id},
    )
    return ActionResult(root.id, flow_id, root.run_id, status, new_run_id=new.first_execution_run_id or new.result_run_id or "", account_id=root.account_id)


async def _first_event(handle: WorkflowHandle) -> WorkflowExecutionStartedEventAttributes:
    """What the run was started with: its input and its options."""
    async for event in handle.fetch_history_events():
        return event.workflow_execution_started_event_attributes
    raise OperationRefused(f"Flow {handle.id} has no history to restart from.")


async def _running_root(client: Client, flow_id: str) -> FlowRow:
    root = await root_of(client, flow_id)
    if root.status != "running":
        raise FlowClosed(f"Flow {root.id} is not running ({root.status}); there is nothing to cancel or restart.")
    return root


async def _closed(handle: WorkflowHandle) -> str:
    """The run's status once it has closed (its clean-up done), or "running" after the wait."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CLOSE_WAIT_SECONDS
    while True:
        description = await handle.describe()
        status = description.status
        if status is not None and status.name != "RUNNING":
            return STATUS.get(status, "unknown")
        if loop.time() >= deadline:
            return "running"
        await asyncio.sleep(_POLL_EVERY)

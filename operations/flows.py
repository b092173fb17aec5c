"""Reading flows for support staff: running flows by process, step and age (Temporal
visibility), and one flow's timeline from its history. Only ids, step names, times and
search attributes are read here — never a payload (those need the codec and the Temporal UI).

Visibility is eventually consistent: a flow that just changed step shows the change in a
list a moment later; a flow's own page (describe + history) is always current.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.converter import decode_typed_search_attributes
from temporalio.service import RPCError, RPCStatusCode

from engine import search_attributes as sa
from operations.errors import UnknownFlow
from operations.filters import FlowFilter

# Workflow ids are ours (process-uuid); anything else never reaches a query.
_FLOW_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
# What Temporal names the marker that records a local activity's result.
LOCAL_ACTIVITY_MARKER = "core_local_activity"
STATUS = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued_as_new",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}
LIST_LIMIT = 200
# History events worth a line on the timeline, beside the step changes.
_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "started",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: "cancel requested",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "cancelled",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
}


@dataclass(frozen=True)
class FlowRow:
    id: str
    run_id: str
    process: str
    step: str
    since: datetime | None  # when it entered its current step
    started: datetime | None
    status: str
    account_id: str = ""
    provider_npi: str = ""
    workflow_type: str = ""
    task_queue: str = ""
    parent_id: str = ""
    root_id: str = ""
    closed: datetime | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str  # "step", "started", "signal", "update", "activity", "child", "cancel requested", ...
    name: str = ""  # the step, signal, update, activity or child flow


@dataclass(frozen=True)
class FlowDetail:
    flow: FlowRow
    timeline: list[TimelineEntry]
    children: list[str] = field(default_factory=list)
    runs: list[FlowRow] = field(default_factory=list)  # every run under this id, newest first


async def running_flows(client: Client, wanted: FlowFilter, *, now: datetime | None = None, limit: int = LIST_LIMIT) -> list[FlowRow]:
    """Running flows matching ``wanted``, newest first."""
    query = wanted.query(now or datetime.now(timezone.utc))
    rows = [_row(execution) async for execution in client.list_workflows(query, limit=limit)]
    return sorted(rows, key=lambda row: row.started or datetime.min.replace(tzinfo=timezone.utc), reverse=True)


async def describe_flow(client: Client, flow_id: str) -> FlowRow:
    """The flow's latest run; UnknownFlow when there is none."""
    check_flow_id(flow_id)
    try:
        return _row(await client.get_workflow_handle(flow_id).describe())
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownFlow(f"No flow with id {flow_id!r}.") from None
        raise


async def flow_detail(client: Client, flow_id: str) -> FlowDetail:
    flow = await describe_flow(client, flow_id)
    handle = client.get_workflow_handle(flow.id, run_id=flow.run_id)
    timeline, children = await _timeline(handle)
    runs = [_row(e) async for e in client.list_workflows(f"WorkflowId = '{flow.id}'", limit=20)]
    runs.sort(key=lambda row: row.started or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
    return FlowDetail(flow, timeline, children, runs)


async def root_of(client: Client, flow_id: str) -> FlowRow:
    """The top flow ``flow_id`` runs under (itself when it has no parent): an enrollment that
    a registration started is cancelled or restarted through its registration."""
    flow = await describe_flow(client, flow_id)
    while flow.parent_id:
        flow = await describe_flow(client, flow.parent_id)
    return flow


def check_flow_id(flow_id: str) -> None:
    if not _FLOW_ID.fullmatch(flow_id or ""):
        raise UnknownFlow(f"No flow with id {flow_id!r}.")


async def _timeline(handle: WorkflowHandle) -> tuple[list[TimelineEntry], list[str]]:
    entries: list[TimelineEntry] = []
    children: list[str] = []
    async for event in handle.fetch_history_events():
        at = event.event_time.ToDatetime(tzinfo=timezone.utc)
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            # Search attributes are never encrypted and never hold PII: safe to read here.
            found = decode_typed_search_attributes(event.upsert_workflow_search_attributes_event_attributes.search_attributes)
            step = found.get(sa.STEP)
            if step:
                entries.append(TimelineEntry(found.get(sa.STEP_SINCE) or at, "step", step))
        elif event.HasField("workflow_execution_signaled_event_attributes"):
            entries.append(TimelineEntry(at, "signal", event.workflow_execution_signaled_event_attributes.signal_name))
        elif event.HasField("workflow_execution_update_accepted_event_attributes"):
            name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            entries.append(TimelineEntry(at, "update", name))
        elif event.HasField("activity_task_scheduled_event_attributes"):
            entries.append(TimelineEntry(at, "activity", event.activity_task_scheduled_event_attributes.activity_type.name))
        elif name := local_activity_type(event):
            entries.append(TimelineEntry(at, "activity", name))
        elif event.HasField("child_workflow_execution_started_event_attributes"):
            child = event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
            children.append(child)
            entries.append(TimelineEntry(at, "child", child))
        elif event.event_type in _EVENTS:
            entries.append(TimelineEntry(at, _EVENTS[event.event_type]))
    return entries, children


def local_activity_type(event: HistoryEvent) -> str:
    """The name of an activity run as a local activity (a database step: workflows/database_steps.py;
    a send's first attempt: workflows/deliveries.py), from Temporal's own note in its marker — in
    clear, and never more than the activity's type and ids. "" for any other event."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return ""
    try:
        return str(json.loads(marker.details["data"].payloads[0].data)["activity_type"])
    except (IndexError, KeyError, ValueError):
        return ""


def _row(execution: WorkflowExecution) -> FlowRow:
    found = execution.typed_search_attributes
    since = found.get(sa.STEP_SINCE)
    return FlowRow(
        id=execution.id,
        run_id=execution.run_id,
        process=found.get(sa.PROCESS) or "",
        step=found.get(sa.STEP) or "",
        since=since,
        started=execution.start_time,
        status=STATUS.get(execution.status, "unknown") if execution.status else "unknown",
        account_id=found.get(sa.ACCOUNT_ID) or "",
        provider_npi=found.get(sa.PROVIDER_NPI) or "",
        workflow_type=execution.workflow_type,
        task_queue=execution.task_queue,
        parent_id=execution.parent_id or "",
        root_id=execution.root_id or "",
        closed=execution.close_time,
    )

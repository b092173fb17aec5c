"""Drives the engine's flows from a test (or the replay recorder): start them, read their
view, wait for what a signal or an activity changed, move their clocks."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowHistory
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.terms import TERMS_VERSION
from operations.flows import local_activity_type
from tests.workflows.fake_accounts import FakeAccounts
from tests.workflows.fake_authenticator import FakeAuthenticator
from tests.workflows.fakes import FakeSenders
from workflows.flow import FlowView, FlowWorkflow
from workflows.registry import WORKFLOWS, view_type

# How long `until` keeps looking before it gives up: a bound on a wait, not a timed assertion.
_PATIENCE_POLLS = 200


@dataclass
class Flows:
    env: WorkflowEnvironment
    client: Client
    task_queue: str
    senders: FakeSenders
    accounts: FakeAccounts
    authenticator: FakeAuthenticator | None = None

    async def start(self, run: Any, arg: Any, *, prefix: str) -> WorkflowHandle:
        return await start_shown(self.client, run, arg, id=f"{prefix}-{uuid.uuid4()}", task_queue=self.task_queue)

    async def start_without_screen(self, run: Any, arg: Any, *, prefix: str) -> WorkflowHandle:
        """A workflow with no screen to answer with (a security notice: the edge starts it)."""
        return await self.client.start_workflow(run, arg, id=f"{prefix}-{uuid.uuid4()}", task_queue=self.task_queue)

    async def view(self, handle: WorkflowHandle) -> FlowView:
        return await handle.query("view", result_type=view_type(handle.id))

    async def until(
        self, handle: WorkflowHandle, check: Callable[[FlowView], bool] = lambda _: True, **expected: str
    ) -> FlowView:
        """The view once a signal's effects show (signals answer nothing, so we look)."""
        for _ in range(_PATIENCE_POLLS):
            view = await self.view(handle)
            if check(view) and all(getattr(view, name) == value for name, value in expected.items()):
                return view
            await asyncio.sleep(0.05)
        raise AssertionError(f"{handle.id} never showed what the test waited for; last view: {view}")

    async def started(self, handle: WorkflowHandle) -> None:
        """Wait for the flow's first task: its search attributes are set there."""
        await self._until_processed(
            handle, lambda event, _: event.HasField("workflow_execution_started_event_attributes")
        )

    async def link_taken_in(self, handle: WorkflowHandle) -> None:
        """Wait until the flow has processed the emailed link. A person cannot click sooner
        (the email is not there yet); a test can, and that click would rightly be ignored."""
        await self._until_processed(handle, _is_link_sent)

    async def cancel_taken_in(self, handle: WorkflowHandle) -> None:
        await self._until_processed(
            handle, lambda event, _: event.HasField("workflow_execution_cancel_requested_event_attributes")
        )

    async def _until_processed(self, handle: WorkflowHandle, is_event: Callable[[Any, list], bool]) -> None:
        """Until a workflow task completed after the latest event ``is_event`` picks. A marker
        (a local activity's) is written by the task that already acted on it."""
        for _ in range(_PATIENCE_POLLS):
            events = list((await handle.fetch_history()).events)
            picked = [e for e in events if is_event(e, events)]
            if picked and (picked[-1].HasField("marker_recorded_event_attributes") or any(
                e.HasField("workflow_task_completed_event_attributes") and e.event_id > picked[-1].event_id for e in events
            )):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{handle.id}: the event the test waited for was never processed")

    async def enroll_by_email(self, enrollment: WorkflowHandle, email: str) -> str:
        """Walk an enrollment through the email method (and the terms, when asked): the account signed in."""
        for update, args in [
            ("choose_method", ["email"]),
            ("submit_email", [email]),
            ("verify_code", [self.senders.code_digest(enrollment.id)]),
            ("save_password", []),
        ]:
            view = await enrollment.execute_update(update, args=args, result_type=FlowView)
        if view.step == "terms":
            await enrollment.execute_update("accept_terms", TERMS_VERSION, result_type=FlowView)
        return await enrollment.execute_update("claim_sign_in", result_type=str)

    async def notices_until(self, count: int) -> list:
        """The notices sent so far, once there are ``count``: a flow sends them beside its answer."""
        for _ in range(_PATIENCE_POLLS):
            if len(self.senders.notices) >= count:
                return list(self.senders.notices)
            await asyncio.sleep(0.05)
        raise AssertionError(f"only {len(self.senders.notices)} of {count} notices were sent: {self.senders.notices}")

    async def audited(self, event: str, count: int) -> None:
        """Until ``event`` was recorded ``count`` times (a notice's audit entry follows its send)."""
        for _ in range(_PATIENCE_POLLS):
            if self.accounts.audit_events().count(event) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{event} was audited fewer than {count} times: {self.accounts.audit_events()}")

    def child(self, view: FlowView) -> WorkflowHandle:
        return self.client.get_workflow_handle(view.enrollment_flow)

    async def started_with(self, handle: WorkflowHandle, input_type: type) -> Any:
        """The (decrypted) input a flow was started with: how a parent configured its child."""
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [value] = await self.client.data_converter.decode(started.input.payloads, [input_type])
        return value

    async def fast_forward(self, handle: WorkflowHandle, **duration: float) -> None:
        await self.env.fast_forward(handle, timedelta(**duration))

    async def replay_failure(self, history: WorkflowHistory) -> Exception | None:
        """Why ``history`` does not replay on the flows' code as it is, or None when it does."""
        replayer = Replayer(workflows=WORKFLOWS, data_converter=self.client.data_converter)
        return (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure


async def start_shown(client: Client, run: Any, arg: Any, *, id: str, task_queue: str) -> WorkflowHandle:
    """Start a flow as the API does (api/flows.py, ``start_showing``): with its first screen, in
    one call that answers once the flow's first workflow task is over. A person's first press
    comes in a later task, where a send may try the flow's worker first (workflows/deliveries.py)."""
    starting = WithStartWorkflowOperation(
        run, arg, id=id, id_conflict_policy=WorkflowIDConflictPolicy.FAIL, task_queue=task_queue
    )
    await client.execute_update_with_start_workflow(FlowWorkflow.first_screen, start_workflow_operation=starting, result_type=dict)
    return await starting.workflow_handle()


async def presses_accepted(handle: WorkflowHandle) -> list[str]:
    """The updates a flow took into its history, by name, but its start's ``first_screen``."""
    accepted = (e.workflow_execution_update_accepted_event_attributes for e in (await handle.fetch_history()).events
                if e.HasField("workflow_execution_update_accepted_event_attributes"))
    names = [update.accepted_request.input.name for update in accepted]
    return [name for name in names if name != "first_screen"]


async def while_the_screen_is_read(flows: Flows, handle: WorkflowHandle, press: Awaitable) -> None:
    """The press, with its flow's screen read all the while (a browser's, an operator's): a
    query during the press's workflow task is what can split it after a local step."""
    pressing = asyncio.ensure_future(press)
    while not pressing.done():
        await flows.view(handle)
    await pressing


def without_clock(view: FlowView) -> FlowView:
    """A view with its instants left out, to compare two flows: each keeps its own clock."""
    code = view.code and dataclasses.replace(view.code, expires_at=None, resend_available_at=None)
    return dataclasses.replace(view, code=code)


async def scheduled_activities(handle: WorkflowHandle) -> list[str]:
    """The names of the activities a flow has asked for so far, in order; one run as a local
    activity (a database step, a send's first attempt) is "local " and its name."""
    names = (_activity_named(event) for event in (await handle.fetch_history()).events)
    return [name for name in names if name]


def _activity_named(event: Any) -> str:
    if event.HasField("activity_task_scheduled_event_attributes"):
        return event.activity_task_scheduled_event_attributes.activity_type.name
    local = local_activity_type(event)
    return f"local {local}" if local else ""


async def settled_history(handle: WorkflowHandle) -> WorkflowHistory:
    """The history once the flow waits for the person: its last workflow task completed, and
    the task a step's answer came in (an activity's, or one a local step split off) too."""
    for _ in range(_PATIENCE_POLLS):
        history = await handle.fetch_history()
        kinds = [event.event_type for event in history.events]
        if EventType.EVENT_TYPE_TIMER_STARTED in kinds and kinds[-1] not in _TASK_PENDING:
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never settled")


_TASK_PENDING = (EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
                 EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
                 EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_MARKER_RECORDED)


def _is_link_sent(event: Any, events: list) -> bool:
    if local_activity_type(event) == "send_link_email":
        # A local attempt's marker, recorded once it is over: sent, unless it failed.
        return not event.marker_recorded_event_attributes.HasField("failure")
    if not event.HasField("activity_task_completed_event_attributes"):
        return False
    scheduled_id = event.activity_task_completed_event_attributes.scheduled_event_id
    scheduled = next(e for e in events if e.event_id == scheduled_id)
    return scheduled.activity_task_scheduled_event_attributes.activity_type.name == "send_link_email"

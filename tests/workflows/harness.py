"""Drives the engine's flows from a test (or the replay recorder): start them, read their
view, wait for what a signal or an activity changed, move their clocks."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from domain.terms import TERMS_VERSION
from operations.flows import LOCAL_ACTIVITY_MARKER
from tests.workflows.fake_accounts import FakeAccounts
from tests.workflows.fake_authenticator import FakeAuthenticator
from tests.workflows.fakes import FakeSenders
from workflows.flow import FlowView
from workflows.registry import view_type

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
        return await self.client.start_workflow(
            run, arg, id=f"{prefix}-{uuid.uuid4()}", task_queue=self.task_queue
        )

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
        """Until a workflow task completed after the latest event ``is_event`` picks."""
        for _ in range(_PATIENCE_POLLS):
            events = list((await handle.fetch_history()).events)
            picked = [e.event_id for e in events if is_event(e, events)]
            if picked and any(
                e.HasField("workflow_task_completed_event_attributes") and e.event_id > picked[-1] for e in events
            ):
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

def without_clock(view: FlowView) -> FlowView:
    """A view with its instants left out, to compare two flows: each keeps its own clock."""
    code = view.code and dataclasses.replace(view.code, expires_at=None, resend_available_at=None)
    return dataclasses.replace(view, code=code)


async def scheduled_activities(handle: WorkflowHandle) -> list[str]:
    """The names of the activities a flow has asked for so far, in order; a database step run
    as a local activity (workflows/database_steps.py) is its marker's, encrypted: "local"."""
    history = await handle.fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        if e.HasField("activity_task_scheduled_event_attributes")
        else "local"
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        or e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
    ]


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
    if not event.HasField("activity_task_completed_event_attributes"):
        return False
    scheduled_id = event.activity_task_completed_event_attributes.scheduled_event_id
    scheduled = next(e for e in events if e.event_id == scheduled_id)
    return scheduled.activity_task_scheduled_event_attributes.activity_type.name == "send_link_email"

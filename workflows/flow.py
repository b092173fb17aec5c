"""The shape every self-service flow shares (DESIGN.md §2).

A flow answers the ``view`` query with what its current screen needs, takes user actions
as updates (validators reject bad input before it reaches history), takes outside events
(the voice webhook's key press) as signals, and keeps its search attributes current so
support staff can find it. This base owns the view and the search attributes; a flow opts
into the parts it uses beside it: a code step (workflows/code_step.py), an emailed link
(workflows/emailed_link.py), the sign-in hand-over (workflows/sign_in_hand_over.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine import search_attributes as sa
    from workflows.code_challenge import CodeStatus
    from workflows.steps import DONE
    from workflows.versions import ONE_IDLE_TIMER, decide_at_start, patched

FIELD_ERROR = "FieldError"
# The code of a refusal that checked nothing: the screen it came from is done already (a double
# click, the back button, a stale tab). The edge shows where the flow is now, with this message.
STALE_STEP = "stale"
STALE_MESSAGE = "This step is already complete. Please continue from the current page."
# Support's restart (operations.control): the signal that comes just before the cancellation,
# so the clean-up keeps what the person saved, and the memo that tells the new run.
OPERATOR_RESTART = "operator_restart"
RESTARTED_FROM = "atrezzo_restarted_from"


@dataclass
class FlowView:
    process: str
    step: str
    status: str = "running"  # running | completed | failed | cancelled
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    email: str = ""  # masked
    phone: str = ""  # masked
    code: CodeStatus | None = None
    # The errors' codes by field, where a program must tell them apart (a wrong code from one
    # not sent yet): the messages are for people and may change. Outcome values for codes.
    error_codes: dict[str, str] = field(default_factory=dict)
    # Only in the answer to the update that finished a flow handing over a sign-in: the account
    # the browser that sent it signs in as, given once (workflows/sign_in_hand_over.py).
    grant: str = ""
    # A passkey screen's ceremony (workflows/passkey_step.py): its number, from which the
    # challenge is derived, and the options the browser starts from (filled by the edge alone).
    passkey_ceremony: int = 0
    passkey_options: str = ""

    def refused(self, field_name: str, message: str, code: str = "") -> FlowView:
        """This view with one error in place of any it showed: a refusal at the edge, or of an
        update, shown like the flow's own."""
        return dataclasses.replace(self, errors={field_name: message}, error_codes={field_name: code} if code else {})


def field_error(field_name: str, message: str, code: str = "") -> ApplicationError:
    """Rejects an update with a message (and a code, where one is needed) for one field of the
    current screen."""
    return ApplicationError(message, field_name, code, type=FIELD_ERROR, non_retryable=True)


class FlowWorkflow:
    """Base for flows. Subclasses build their state in an ``@workflow.init`` ``__init__`` (so an
    update that arrives with the first task finds it) and call ``_start_flow`` there. A flow
    names its steps and, when its screens show more than the common view, its view in its class
    line: ``class LoginWorkflow(..., steps=LoginStep, view=LoginView)``."""

    STEPS: Any
    VIEW: type[FlowView] = FlowView

    def __init_subclass__(cls, *, steps: Any = None, view: type[FlowView] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if steps is not None:
            cls.STEPS = steps
        if view is not None:
            cls.VIEW = view

    def __init__(self) -> None:
        self._view = self.VIEW(process="", step="")
        # User actions so far, and when the last came: they restart a flow's idle clock.
        self._actions = 0
        self._last_action_at: datetime | None = None
        self._restarting = False
        # The history's length in the run's first workflow task, in which a send does not try
        # this worker first: a local step there can split it (workflows/deliveries.py).
        self._first_task_length = workflow.info().get_current_history_length()
        decide_at_start()

    def _start_flow(self, process: str, step: str, *, provider_npi: str = "", account_id: str = "") -> None:
        self._view = self.VIEW(process=process, step=step)
        updates = [sa.PROCESS.value_set(process), sa.STEP.value_set(step), sa.STEP_SINCE.value_set(workflow.now())]
        if provider_npi:
            updates.append(sa.PROVIDER_NPI.value_set(provider_npi))
        if account_id:
            updates.append(sa.ACCOUNT_ID.value_set(account_id))
        workflow.upsert_search_attributes(updates)

    def _go(self, step: str, *, notice: str = "") -> None:
        """Move to another screen; errors belong to the screen they were shown on."""
        self._view.step = step
        self._clear_errors()
        self._view.notice = notice
        workflow.upsert_search_attributes([sa.STEP.value_set(step), sa.STEP_SINCE.value_set(workflow.now())])

    def _back_to(self, step: str) -> FlowView:
        """A screen's "change" action: back to the earlier screen that asked for it."""
        self._touch()
        self._go(step)
        return self.view()

    def _set_account(self, account_id: str) -> None:
        workflow.upsert_search_attributes([sa.ACCOUNT_ID.value_set(account_id)])

    def _finish(self, status: str, step: str, *, notice: str = "") -> None:
        self._go(step, notice=notice)
        self._view.status = status

    def _touch(self) -> None:
        self._actions += 1
        self._last_action_at = workflow.now()

    def _past_first_task(self) -> bool:
        """This code runs in a later workflow task than the run's first. The API's start of a
        flow answers once that one is over, so a person's press comes in a later one; a test or
        a program that starts a flow bare may press before (its send is then an activity)."""
        return workflow.info().get_current_history_length() > self._first_task_length

    def _show_error(self, field_name: str, message: str, code: str = "") -> None:
        self._view = self._view.refused(field_name, message, code)

    def _clear_errors(self) -> None:
        self._view.errors = {}
        self._view.error_codes = {}

    @workflow.signal(name=OPERATOR_RESTART)
    def operator_restart(self) -> None:
        """Support is restarting this flow: the cancellation that follows is not the end."""
        self._restarting = True

    @staticmethod
    def _is_restart() -> bool:
        """This run was started by support's restart, after an earlier run under the same id."""
        return bool(workflow.memo_value(RESTARTED_FROM, "", type_hint=str))

    async def _wait_until_done(self, idle: timedelta) -> bool:
        """Follow the person's actions until the flow reaches ``done``; False once they have
        left it alone for ``idle`` (each action restarts the clock)."""
        if not patched(ONE_IDLE_TIMER):
            return await self._wait_until_done_restarting_timer(idle)
        # One timer while the person keeps acting: when it fires it is set again for what is
        # left of ``idle`` since their last action. A timer cancelled and started at every
        # action cost the engine two events and a timer task each time.
        clock_from = workflow.now()
        while self._view.step != DONE:
            deadline = max(clock_from, self._last_action_at or clock_from) + idle
            if deadline <= workflow.now():
                return False
            try:
                await workflow.wait_condition(lambda: self._view.step == DONE, timeout=deadline - workflow.now())
            except asyncio.TimeoutError:
                pass
        return True

    async def _wait_until_done_restarting_timer(self, idle: timedelta) -> bool:
        while self._view.step != DONE:
            seen = self._actions
            try:
                await workflow.wait_condition(lambda: self._view.step == DONE or self._actions != seen, timeout=idle)
            except asyncio.TimeoutError:
                return False
        return True

    def _code_status(self) -> CodeStatus | None:
        """Hook for flows with a code step: what the screen shows of the code."""
        return None

    @workflow.query
    def view(self) -> FlowView:
        return dataclasses.replace(self._view, code=self._code_status())

    def _answer(self) -> FlowView:
        """What an update that may finish the flow answers: its view (a hand-over adds the grant)."""
        return self.view()

    @workflow.update
    def first_screen(self) -> FlowView:
        """The screen a flow started by a person's action shows first, sent with the start
        (update-with-start) so that starting and answering are one call."""
        return self.view()

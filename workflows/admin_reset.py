"""Provider Administrator Reset Registration (guide): an administrator resets the MFA
registration of a user they manage, and this flow follows that user until they have
registered again.

The reset clears the MFA method and phone (the account stays active and keeps its
password), ends the user's sessions and Remember Me, and emails a link. The link is only a
pointer: whoever holds the mailbox alone must not take the account over, so the link (like
the login page's first-login link) leads to "first login" — username and password — whose
route hands the person to MFA enrollment run here as a child. If nobody registers within
the link's life the flow ends; the account stays without MFA, so the plain first login
still works.

One flow per user (id ``admin-reset-<account id>``). Each reset arrives as the
``request_reset`` update (the API updates-with-start; APIs from before it sent the ``restart``
signal, which does the same). A second reset while one is pending makes this run cancel its
enrollment, retire its link and record itself as restarted, then continue as new with the
new request, which sends a new link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    is_cancelled_exception,
)
from temporalio.workflow import ChildWorkflowHandle, ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        AdminResetEnded,
        AdminResetRequested,
        AuditEntry,
        LinkDelivery,
    )
    from activities.postgres import AccountActivities
    from workflows.database_steps import database_step
    from workflows.emailed_link import EmailedLink, LinkOpened, LinkView
    from workflows.enrollment import PROCESS as ENROLLMENT
    from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
    from workflows.flow import FlowView, field_error
    from workflows.steps import AdminResetStep
    from workflows.timings import Timings
    from workflows.versions import SECURITY_NOTICES, patched

PROCESS = "admin_reset"
CONFIRM_PATH = "/admin-reset/confirm"
LINK_TTL_SECONDS = 7 * 24 * 60 * 60
# Steps while the flow can still hand the user to enrollment.
_FOLLOWING = (AdminResetStep.RESETTING, AdminResetStep.AWAITING_USER, AdminResetStep.ENROLLING)
NOT_NOW = "This registration reset has ended. Please try again."


def admin_reset_id(account_id: str) -> str:
    return f"admin-reset-{account_id}"


@dataclass(frozen=True)
class AdminResetStart:
    account_id: str
    requested_by: str  # the administrator's account id
    # One administrator's request as opposed to the next: the restart signal that came with
    # this run's own start names this run's request and changes nothing.
    request_id: str
    email: str = ""
    first_name: str = ""
    link_ttl_seconds: int = LINK_TTL_SECONDS
    timings: Timings = field(default_factory=Timings)


@dataclass
class AdminResetView(LinkView):
    account_id: str = ""  # the account being reset
    request_id: str = ""  # the administrator's request this run answers (Manage Users waits for it)
    link_clicked: bool = False  # what link pages of API processes from before ``open_link`` waited for


@workflow.defn
class ProviderAdminResetWorkflow(EmailedLink, steps=AdminResetStep, view=AdminResetView):
    _view: AdminResetView

    @workflow.init
    def __init__(self, start: AdminResetStart) -> None:
        super().__init__()
        self._start = start
        self._restart_with: AdminResetStart | None = None
        self._enrollment_wanted = False
        self._child: ChildWorkflowHandle | None = None
        # The claim of the browser whose first login asked for the enrollment: the enrollment's
        # last answer then signs that browser in (workflows/sign_in_hand_over.py).
        self._enrollment_claim = ""
        self._closing = False
        self._link_noted = False
        self._start_flow(PROCESS, AdminResetStep.RESETTING, account_id=start.account_id)
        self._view.account_id, self._view.request_id = start.account_id, start.request_id

    @workflow.run
    async def run(self, start: AdminResetStart) -> str:
        try:
            outcome = await self._reset_and_follow(start)
        except (asyncio.CancelledError, ActivityError, ChildWorkflowError) as error:
            # Cancelled while an activity or the enrollment ran, the cancellation arrives as theirs.
            if not is_cancelled_exception(error):
                raise
            # An operator cancelled (or support restarts the flow: a new run follows). MFA stays
            # cleared (first login still works); the link dies with this run and the
            # enrollment, if any, is cancelled with it.
            await self._close("restarted" if self._restarting else "cancelled")
            self._finish("cancelled", AdminResetStep.CANCELLED)
            raise
        if self._restart_with is not None:
            if outcome != "restarted":  # a request that came as this run was ending
                await self._close("restarted")
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(self._restart_with)
        return outcome

    async def _reset_and_follow(self, start: AdminResetStart) -> str:
        deadline = workflow.now() + timedelta(seconds=start.link_ttl_seconds)
        requested = AdminResetRequested(start.account_id, start.requested_by, workflow.now().isoformat())
        await database_step(AccountActivities.mark_admin_reset_pending, requested)
        await database_step(AccountActivities.clear_mfa_registration, start.account_id)
        await database_step(AccountActivities.revoke_sign_ins, start.account_id)
        sent = bool(start.email) and await self._email_link(
            LinkDelivery(
                to=start.email,
                template="admin_reset_link",
                path=CONFIRM_PATH,
                expires_in_seconds=start.link_ttl_seconds,
                greeting_name=start.first_name,
            )
        )
        if not sent:
            # The reset stands: the login page's first-login link still leads here.
            await self._audit("admin_reset.link_not_sent")
        elif patched(SECURITY_NOTICES):
            # The link email is also the owner's notice of the reset (workflows/notices.py).
            await self._audit("notice.sent", template="admin_reset_link")
        while True:
            self._go(AdminResetStep.AWAITING_USER)
            woke = await self._wait(lambda: self._enrollment_wanted, until=deadline)
            if self._restart_with is not None:
                return await self._restart()
            if not woke:
                await self._close("expired")
                self._finish("failed", AdminResetStep.EXPIRED)
                return "expired"
            result = await self._enroll(start)
            if self._restart_with is not None:
                return await self._restart()
            if result == "completed":
                await self._close("re_registered")
                self._finish("completed", AdminResetStep.COMPLETE)
                return "re_registered"
            # Abandoned: the person may sign in again at first login while the link lives.
            if workflow.now() >= deadline:
                await self._close("expired")
                self._finish("failed", AdminResetStep.EXPIRED)
                return "expired"

    async def _enroll(self, start: AdminResetStart) -> str:
        self._child = await workflow.start_child_workflow(
            MfaEnrollmentWorkflow.run,
            EnrollmentStart(account_id=start.account_id, purpose="admin_reset", email=start.email, timings=start.timings,
                            claim=self._enrollment_claim),
            id=f"{ENROLLMENT}-{workflow.uuid4()}",
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            task_timeout=start.timings.task_timeout,
        )
        self._view.enrollment_flow = self._child.id
        self._go(AdminResetStep.ENROLLING)
        child = self._child
        await self._wait(child.done)
        if self._restart_with is not None and not child.done():
            return "restarted"
        self._child = None
        self._enrollment_wanted = False
        self._view.enrollment_flow = ""
        try:
            return child.result()
        except ChildWorkflowError:
            return "abandoned"  # e.g. an operator cancelled the enrollment alone

    async def _wait(self, done: Callable[[], bool], *, until: datetime | None = None) -> bool:
        """Until ``done()``, a new reset request, or ``until`` (False then). A click on the
        emailed link is noted on the way, whatever the flow is waiting for."""
        woken = lambda: done() or self._restart_with is not None or self._link_unnoted()  # noqa: E731
        while True:
            if self._link_unnoted():
                await self._note_link()
                continue
            if done() or self._restart_with is not None:
                return True
            timeout = None if until is None else until - workflow.now()
            if timeout is not None and timeout <= timedelta(0):
                return False  # noting a click took the last moment: no zero-length timer
            try:
                await workflow.wait_condition(woken, timeout=timeout)
            except asyncio.TimeoutError:
                return False

    def _link_unnoted(self) -> bool:
        return self._link is not None and self._link.clicked and not self._link_noted

    async def _note_link(self) -> None:
        self._link_noted = True
        await self._audit("admin_reset.link_clicked")
        self._view.link_clicked = True
        self._link_opened(LinkOpened(self._start.account_id))  # answered once the click is recorded

    async def _restart(self) -> str:
        await self._cancel_enrollment()
        await self._close("restarted")
        self._finish("cancelled", AdminResetStep.RESTARTED)
        return "restarted"

    async def _close(self, state: str) -> None:
        """End this run: the link stops working, waiting handlers are let go, an enrollment
        still running is cancelled, and the database says how it ended."""
        self._closing = True
        self._close_links()
        await self._cancel_enrollment()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await database_step(AccountActivities.mark_admin_reset_ended, AdminResetEnded(self._start.account_id, state))

    async def _cancel_enrollment(self) -> None:
        child, self._child = self._child, None
        if child is None or child.done():
            return
        child.cancel()
        try:
            await child
        except (asyncio.CancelledError, ChildWorkflowError):
            pass

    async def _audit(self, event: str, **detail: str) -> None:
        entry = AuditEntry(event, subject=self._start.account_id, detail={"flow": workflow.info().workflow_id, **detail})
        await database_step(AccountActivities.record_audit, entry)

    # --- what the API asks --------------------------------------------------------------
    @workflow.signal
    def restart(self, start: AdminResetStart) -> None:
        """A new reset of the same user while this one runs (or the request this run started with)."""
        if start.request_id != self._start.request_id and start.account_id == self._start.account_id:
            self._restart_with = start

    @workflow.update
    async def request_reset(self, start: AdminResetStart) -> FlowView:
        """An administrator's Reset, sent with the start (update-with-start): answered once
        this run has applied its own request (MFA cleared, sign-ins ended, the link on its
        way). Another request makes this run give way to a run for it (as ``restart`` does),
        and is answered as soon as it does: the API then asks the run that follows."""
        self.restart(start)
        await workflow.wait_condition(
            lambda: self._closing or (self._start.request_id == start.request_id and self._view.step != AdminResetStep.RESETTING)
        )
        return self.view()

    @request_reset.validator
    def _check_request(self, start: AdminResetStart) -> None:
        self._check_account(start.account_id)

    def _check_account(self, account_id: str) -> None:
        if account_id != self._start.account_id:
            raise field_error("form", "This registration reset belongs to another account.")

    @workflow.update
    async def begin_enrollment(self, account_id: str, claim: str = "") -> FlowView:
        """First login (username and password checked at the edge) hands the person to MFA
        enrollment: the running one, or a new one. The view names it in ``enrollment_flow``.
        ``claim``: the browser's, for a new one (an API from before sends none)."""
        self._touch()
        if self._child is None:
            self._enrollment_claim = claim
        self._enrollment_wanted = True
        await workflow.wait_condition(lambda: self._child is not None or self._closing or self._restart_with is not None)
        if self._child is None:
            raise field_error("form", NOT_NOW)
        return self.view()

    @begin_enrollment.validator
    def _check_begin(self, account_id: str, claim: str = "") -> None:
        self._check_account(account_id)
        if self._closing or self._restart_with is not None or self._view.step not in _FOLLOWING:
            raise field_error("form", NOT_NOW)

"""New provider registration (guide Section 2).

The flow starts once the NPI and registration code were checked at the edge (a code is a
secret: it never enters history). Then: user information → a pending account (the database
decides whether the username and email are free) → an emailed link that must be clicked
within 20 minutes → MFA enrollment (a child flow, with the Terms of Use) → home.
A link not clicked in time ends in "Registration Error"; the pending account keeps its data
and the Reset path completes it. A cancelled registration releases its pending account (and
tells the person by email when it was waiting for their link). A run support restarted
(operations.control) keeps the account the first run created and resumes at a fresh link.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        AccountProgress,
        AuditEntry,
        LinkDelivery,
        NewAccount,
        Notice,
        Outcome,
        UserInformation,
    )
    from activities.email import EmailActivities
    from activities.postgres import AccountActivities
    from workflows.database_steps import database_step, first_task_step
    from workflows.emailed_link import EmailedLink, LinkView
    from workflows.enrollment import EnrollmentStart, enroll
    from workflows.flow import STALE_STEP, FlowView, field_error
    from workflows.notices import NOTICE_SEND
    from workflows.steps import RegistrationStep
    from workflows.timings import Timings
    from workflows.versions import PENDING_EXPIRY, patched

PROCESS = "registration"
CONFIRM_PATH = "/register/confirm"
CHECK_EMAIL = (
    "Your registration is complete. To complete the Multi-Factor Authentication registration, "
    "you must click the link in your email within {minutes} minutes."
)
LINK_NOT_SENT = "We could not send the email. Please check the address and try again."
RESUMING = "Your registration is being restored. Please wait a moment and try again."


@dataclass(frozen=True)
class RegistrationStart:
    provider_id: int
    provider_npi: str
    provider_name: str
    timings: Timings = field(default_factory=Timings)


@dataclass
class RegistrationView(LinkView):
    organization: str = ""  # the provider's name, above Enter User Information
    npi: str = ""


@workflow.defn
class ProviderRegistrationWorkflow(EmailedLink, steps=RegistrationStep, view=RegistrationView):
    _view: RegistrationView

    @workflow.init
    def __init__(self, start: RegistrationStart) -> None:
        super().__init__()
        self._start = start
        self._account_id = ""
        self._email = ""
        self._greeting = ""
        # What the database held when support restarted this flow (email verified, password).
        self._progress = AccountProgress()
        self._resuming = self._is_restart()
        self._saving = False
        # The address typed belongs to an account already: this registration answers exactly
        # as for a new one, emails the address's owner instead of a link, and ends unclicked.
        self._email_holder = ""
        # When an account this flow made, if still unverified, is released (see _expire_unverified).
        self._expires_at = workflow.now()
        self._start_flow(PROCESS, RegistrationStep.USER_INFO, provider_npi=start.provider_npi)
        self._view.organization, self._view.npi = start.provider_name, start.provider_npi
        if self._resuming:
            self._view.notice = RESUMING

    @workflow.run
    async def run(self, start: RegistrationStart) -> str:
        try:
            if self._resuming:
                await self._resume()
            return await self._register(start)
        except (asyncio.CancelledError, ActivityError, ChildWorkflowError) as error:
            # Cancelled while an activity ran or while enrolling, the cancellation arrives as theirs.
            if not is_cancelled_exception(error):
                raise
            # An operator cancelled: leave no half account behind (an activated one stays).
            # A cancelled workflow may still run activities once it has caught the cancellation.
            # A submission still being saved finishes first, so its account is released too;
            # a browser waiting on its click is let go (the click opens nothing now).
            self._close_links()
            await workflow.wait_condition(workflow.all_handlers_finished)
            # A restart keeps the account: the next run under this id resumes with it.
            if self._account_id and not self._restarting:
                waiting_for_link = self._view.step == RegistrationStep.CHECK_EMAIL
                await self._release()
                if waiting_for_link:
                    # They are away from the screen, waiting for our email: tell them there.
                    await self._tell_cancelled()
            self._finish("cancelled", RegistrationStep.CANCELLED)
            raise

    async def _register(self, start: RegistrationStart) -> str:
        try:
            await workflow.wait_condition(lambda: bool(self._account_id or self._email_holder), timeout=start.timings.idle)
        except asyncio.TimeoutError:
            self._finish("failed", RegistrationStep.ABANDONED)
            return "abandoned"
        if self._email_holder:
            return await self._answer_as_new(start)
        if not await self._send_link():
            # The account exists, so the Reset path can still deliver a link later.
            self._finish("failed", RegistrationStep.REGISTRATION_ERROR, notice=LINK_NOT_SENT)
            await self._expire_unverified(start)
            return "link_not_sent"
        if not await self._wait_for_click():
            self._finish("failed", RegistrationStep.REGISTRATION_ERROR)
            await self._audit("registration.link_expired")
            await self._expire_unverified(start)
            return "link_expired"
        await self._audit("registration.email_link_clicked")
        return await enroll(
            self,
            EnrollmentStart(
                account_id=self._account_id,
                purpose="registration",
                email=self._email,
                email_verified=self._progress.email_verified,
                has_new_password=self._progress.has_password,
                requires_terms=True,
                timings=start.timings,
            ),
        )

    @workflow.update
    async def submit_user_info(self, person: UserInformation) -> FlowView:
        if self._account_id:
            return self.view()
        self._saving = True
        try:
            # The account joins the organization whose code started this flow, whatever an
            # input said (one from before named it, checked equal by the validator then).
            account = NewAccount.joining(self._start.provider_id, person)
            outcome: Outcome = await database_step(AccountActivities.create_pending_account, account)
        finally:
            self._saving = False
        if outcome.error:
            self._show_error(outcome.field, outcome.error)
            return self.view()
        self._email, self._greeting = person.email, person.first_name
        if outcome.email_holder:
            self._email_holder = outcome.email_holder
        else:
            self._account_id = outcome.account_id
            self._set_account(outcome.account_id)
            self._expires_at = workflow.now() + timedelta(seconds=self._start.timings.pending_ttl_seconds)
        minutes = max(1, self._start.timings.link_ttl_seconds // 60)
        self._go(RegistrationStep.CHECK_EMAIL, notice=CHECK_EMAIL.format(minutes=minutes))
        return self.view()

    @submit_user_info.validator
    def _check_user_info(self, person: UserInformation) -> None:
        if self._view.step != RegistrationStep.USER_INFO:
            raise field_error("form", "This step is already complete.", STALE_STEP)
        if self._saving:
            # A second NEXT would race the first for the username, and could orphan an account.
            raise field_error("form", "Your information is being saved. Please wait.")
        if self._resuming:
            raise field_error("form", RESUMING)
        for name in ("username", "first_name", "last_name", "email", "fax"):
            if not getattr(person, name).strip():
                raise field_error(name, "This field is required.")

    async def _send_link(self) -> bool:
        # Sent in the task of NEXT, unless support restarted the flow (then in a task no press began).
        return await self._email_link(
            LinkDelivery(
                to=self._email,
                template="registration_link",
                path=CONFIRM_PATH,
                expires_in_seconds=self._start.timings.link_ttl_seconds,
                greeting_name=self._greeting,
            ),
            answers_a_press=self._past_first_task() and not self._is_restart(),
        )

    async def _resume(self) -> None:
        """A restarted run: the account the earlier run created (if any) is this flow's, and a
        fresh link goes out for it; without one the person gives their information as before."""
        flow_id = workflow.info().workflow_id
        found: AccountProgress = await first_task_step(AccountActivities.find_registration_account, flow_id)
        if found.account_id:
            self._progress = found
            self._account_id = found.account_id
            self._expires_at = workflow.now() + timedelta(seconds=self._start.timings.pending_ttl_seconds)
            self._email, self._greeting = found.email, found.first_name
            self._set_account(found.account_id)
            minutes = max(1, self._start.timings.link_ttl_seconds // 60)
            self._go(RegistrationStep.CHECK_EMAIL, notice=CHECK_EMAIL.format(minutes=minutes))
        else:
            self._view.notice = ""
        self._resuming = False

    async def _answer_as_new(self, start: RegistrationStart) -> str:
        """The address is someone's already: tell them (it may be them, having forgotten),
        show the person who typed it what a new registration shows, and let it run out."""
        holder = Notice(to=self._email, template="registration_email_exists", detail={"holder": self._email_holder})
        await self._send_notice(holder)
        await self._audit("registration.email_exists")
        await workflow.sleep(timedelta(seconds=start.timings.link_ttl_seconds))
        self._finish("failed", RegistrationStep.REGISTRATION_ERROR)
        return "link_expired"

    async def _expire_unverified(self, start: RegistrationStart) -> None:
        """An account whose email nobody verified must not hold its username and address for
        ever (anyone can type anyone's address): once PENDING_ACCOUNT_TTL has passed since it
        was made, it is released — unless the person verified it meanwhile (Reset). Support's
        cancel releases it sooner. Flows from before this rule finish as they did."""
        if not patched(PENDING_EXPIRY):
            return
        await workflow.sleep(max(timedelta(0), self._expires_at - workflow.now()))
        released: bool = await database_step(AccountActivities.expire_unverified_account, self._account_id)
        if released:
            await self._audit("registration.account_expired")

    async def _tell_cancelled(self) -> None:
        await self._send_notice(Notice(to=self._email, template="registration_cancelled", greeting_name=self._greeting))

    async def _send_notice(self, notice: Notice) -> None:
        try:
            await workflow.execute_activity_method(EmailActivities.send_notice_email, notice, **NOTICE_SEND)
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise
            # What it tells of happened either way, and the audit log says so.

    async def _release(self) -> None:
        await database_step(AccountActivities.release_pending_account, self._account_id)
        await self._audit("registration.cancelled")

    async def _audit(self, event: str) -> None:
        entry = AuditEntry(event, subject=self._account_id, detail={"flow": workflow.info().workflow_id})
        await database_step(AccountActivities.record_audit, entry)

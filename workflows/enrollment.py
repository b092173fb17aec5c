"""MFA enrollment (guide Sections 1 and 2): choose PHONE or EMAIL, verify a work email by
code (workflows/enrollment_email.py), create a password, then — for the phone method — verify
a direct line by a code sent by SMS or spoken in a call; new users then accept the Terms of Use.

Used by new-provider registration (as a child), by existing portal users, by "having
trouble logging in" and by registration resets. What is verified is saved as it happens,
so an abandoned enrollment resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import AccountProgress, AuditEntry, MfaChoice, TermsAccepted
    from activities.postgres import AccountActivities
    from domain.phone import mask_phone
    from domain.terms import TERMS_VERSION
    from workflows.code_challenge import CodeChallenge
    from workflows.code_step import PHONE_CHANNELS
    from workflows.database_steps import database_step, first_task_step
    from workflows.emailed_link import EmailedLink, LinkOpened
    from workflows.enrollment_app import AppStep
    from workflows.enrollment_passkey import PASSKEY_FROM_HOME, NewPasskeyStep
    from workflows.enrollment_email import EmailStep
    from workflows.enrollment_password import PasswordStep
    from workflows.flow import STALE_MESSAGE, STALE_STEP, FlowView, field_error
    from workflows.notices import Notices, NoticeTemplate
    from workflows.sign_in_hand_over import SignInHandOver
    from workflows.steps import EnrollmentStep
    from workflows.timings import Timings
    from workflows.versions import AUDITED_WRITES, patched

PROCESS = "enrollment"
# The guide's two, then the authenticator app (issue 10).
METHODS = ("phone", "email", "app", "passkey")


# Enrollments that began with a link or a code sent to the address on record: the mailbox is
# proven ("password_reset": Forgot Password's code, for an account without MFA yet).
# "existing_user" (first login) and "admin_reset" began with a password alone.
MAILBOX_PROVEN = ("registration", "registration_reset", "resume", "password_reset")
# Accounts someone already signs in to: changes to them are notified (workflows/notices.py).
ESTABLISHED = ("existing_user", "admin_reset", "resume", "password_reset", *PASSKEY_FROM_HOME)


@dataclass(frozen=True)
class EnrollmentStart:
    account_id: str
    # registration | existing_user | resume | registration_reset | admin_reset | password_reset,
    # or from home: add_passkey | switch_to_passkey (workflows/enrollment_passkey.py)
    purpose: str
    email: str = ""  # the address on record
    email_verified: bool = False
    has_new_password: bool = False
    requires_terms: bool = False
    timings: Timings = field(default_factory=Timings)
    # The claim digest of the browser the enrollment is for, when the API knew it at the start:
    # the update that completes the enrollment then answers with the sign-in.
    claim: str = ""

    @property
    def mailbox_proven(self) -> bool:
        return self.purpose in MAILBOX_PROVEN

    @property
    def established(self) -> bool:
        return self.purpose in ESTABLISHED


@dataclass(frozen=True)
class PhoneEntry:
    number: str  # E.164, normalised at the edge
    channel: str  # "sms" (Send Code) | "voice" (Call Me)
    # When the API took the press (ms since the epoch): the code's life starts then. A field,
    # not a second argument: an entry sent before it still decodes as an entry.
    pressed_at: int | None = None


@dataclass
class EnrollmentView(FlowView):
    purpose: str = ""
    account_id: str = ""  # the person's own (no PII): the edge's password policy and throttles
    email_address: str = ""  # the Email Address box: shown masked until the address on record is proven
    email_on_record: str = ""  # masked, while that address must be proven first
    can_use_email: bool = False  # the phone screen offers the verified email instead
    phone_number: str = ""  # as typed, kept in its box when the edge refused it
    # Filled by the edge alone (api/second_factors.py), never by the flow: the authenticator
    # app's key and otpauth address while it is set up, and recovery codes in the one answer
    # that issued them.
    app_key: str = ""
    app_uri: str = ""
    recovery_codes: list[str] = field(default_factory=list)


@workflow.defn
class MfaEnrollmentWorkflow(
    EmailStep, PasswordStep, AppStep, NewPasskeyStep, SignInHandOver, steps=EnrollmentStep, view=EnrollmentView
):
    _view: EnrollmentView

    @workflow.init
    def __init__(self, start: EnrollmentStart) -> None:
        super().__init__()
        self._start = start
        self._hand_over_to(start.account_id, start.claim)
        self._saving_password = False
        self._method = ""
        self._email = start.email
        # The address the account holds now: changing it notifies this one.
        self._on_record = start.email
        self._phone = ""
        # The last email and phone challenges, kept across address changes for the resend limits.
        self._sent_by_kind: dict[str, CodeChallenge] = {}
        self._notices = Notices()
        # Whether this enrollment may treat the email as proven: only once a code sent to it was
        # typed here, or when the link that started it went to the address on record. A
        # password alone never skips the email code.
        self._email_confirmed = False
        # Resuming after email and password were done: the phone is left (or email instead).
        resume_at_phone = start.mailbox_proven and start.email_verified and start.has_new_password
        first = EnrollmentStep.PHONE if resume_at_phone else EnrollmentStep.METHOD
        if start.purpose in PASSKEY_FROM_HOME:
            first, self._method = EnrollmentStep.PASSKEY, "passkey"
        self._start_flow(PROCESS, first, account_id=start.account_id)
        self._view.purpose, self._view.account_id = start.purpose, start.account_id
        if start.mailbox_proven:
            self._view.email_address = start.email
        else:
            self._offer_email_on_record()
        if resume_at_phone:
            self._resume_at_phone(start.email)

    @workflow.run
    async def run(self, start: EnrollmentStart) -> str:
        if self._is_restart():
            await self._resume_saved()
        if not await self._wait_until_done(start.timings.idle):
            self._finish("failed", EnrollmentStep.ABANDONED)
            await self._audit("mfa.enrollment_abandoned")
            await self._notices.delivered()
            return "abandoned"
        await self._hand_over_sign_in()
        await self._notices.delivered()
        return "completed"

    # --- method ----------------------------------------------------------------
    @workflow.update
    def choose_method(self, method: str) -> FlowView:
        self._touch()
        self._method = method
        self._go(EnrollmentStep.EMAIL)
        return self.view()

    @choose_method.validator
    def _check_method(self, method: str) -> None:
        self._expect(EnrollmentStep.METHOD)
        if method not in METHODS:
            raise field_error("method", "Choose PHONE, EMAIL, AUTHENTICATOR APP or PASSKEY.")

    # --- phone -----------------------------------------------------------------------
    @workflow.update
    async def submit_phone(self, entry: PhoneEntry) -> FlowView:
        self._touch()
        self._phone = entry.number
        self._view.phone = mask_phone(entry.number)
        self.challenge = self._challenge(entry.channel, entry.number)
        self._go(EnrollmentStep.PHONE_CODE if entry.channel == "sms" else EnrollmentStep.PHONE_CALL)
        return await self.send_code(entry.pressed_at)

    @submit_phone.validator
    def _check_phone(self, entry: PhoneEntry) -> None:
        self._expect(EnrollmentStep.PHONE, EnrollmentStep.PHONE_CODE, EnrollmentStep.PHONE_CALL)
        if entry.channel not in PHONE_CHANNELS:
            raise field_error("phone_number", "Choose Send Code or Call Me.")
        if not (entry.number.startswith("+1") and len(entry.number) == 12 and entry.number[1:].isdigit()):
            raise field_error("phone_number", "Enter a 10-digit direct line; extensions are not supported.")
        self._check_resend("phone_number", entry.channel)

    @workflow.update
    def change_phone(self) -> FlowView:
        return self._back_to(EnrollmentStep.PHONE)

    @change_phone.validator
    def _check_change_phone(self) -> None:
        self._expect(EnrollmentStep.PHONE_CODE, EnrollmentStep.PHONE_CALL)

    @workflow.update
    async def use_email_instead(self) -> FlowView:
        """For someone without a direct line: the verified email becomes the second factor."""
        self._touch()
        await self._complete("email")
        return self._answer()

    @use_email_instead.validator
    def _check_use_email(self) -> None:
        self._expect(EnrollmentStep.PHONE, EnrollmentStep.PHONE_CODE, EnrollmentStep.PHONE_CALL)
        if not self._email_confirmed:
            raise field_error("form", "Please verify your email address first.")

    # --- terms and the end -------------------------------------------------------------
    @workflow.update
    async def accept_terms(self, version: str) -> FlowView:
        self._touch()
        await database_step(AccountActivities.accept_terms, TermsAccepted(self._start.account_id, version))
        self._finish("completed", EnrollmentStep.DONE)
        return self._answer()

    @accept_terms.validator
    def _check_terms(self, version: str) -> None:
        self._expect(EnrollmentStep.TERMS)
        if version != TERMS_VERSION:
            raise field_error("accept", "Please read and agree to the current Terms of Use.")

    # --- what the steps share -------------------------------------------------------------
    async def _resume_saved(self) -> None:
        """Restarted by support: start from what the account already holds, not from the
        first run's start input (email verified and password created: only the phone is left)
        — where the link that began it proved the mailbox; a password alone starts over."""
        account_id = self._start.account_id
        saved: AccountProgress = await first_task_step(AccountActivities.account_progress, account_id)
        if not self._start.mailbox_proven:
            self._on_record = saved.email
            self._offer_email_on_record()
        elif saved.email_verified and saved.has_password and self._view.step == EnrollmentStep.METHOD:
            self._resume_at_phone(saved.email)
            self._go(EnrollmentStep.PHONE)

    def _resume_at_phone(self, email: str) -> None:
        self._method = "phone"
        self._email = self._on_record = email
        self._email_confirmed = True
        self._view.email_address, self._view.can_use_email = email, True

    async def _code_verified(self) -> None:
        if self.challenge is not None and self.challenge.channel == "email":
            await self._email_verified()
        else:
            await self._complete("phone")

    async def _complete(self, method: str) -> None:
        phone = self._phone if method == "phone" else ""
        # The app or passkey became the method with its own check (enrollment_app, enrollment_passkey).
        if method not in ("app", "passkey"):
            audited = patched(AUDITED_WRITES)
            choice = MfaChoice(self._start.account_id, method, phone, audited)
            await database_step(AccountActivities.complete_mfa_registration, choice)
            if not audited:
                await self._audit("mfa.registered", method=method)
        # A new kind of factor is worth a word even to someone registering now.
        if self._start.established or method in ("app", "passkey"):
            masked = mask_phone(phone) if phone else ""
            self._notices.send(self._start.account_id, NoticeTemplate.MFA_REGISTERED, self._on_record, method=method, phone=masked)
        if self._start.requires_terms:
            self._go(EnrollmentStep.TERMS)
        else:
            self._finish("completed", EnrollmentStep.DONE)

    async def _audit(self, event: str, **detail: str) -> None:
        entry = AuditEntry(event, subject=self._start.account_id, detail={"flow": workflow.info().workflow_id, **detail})
        await database_step(AccountActivities.record_audit, entry)

    def _expect(self, *steps: str) -> None:
        if self._view.step not in steps:
            raise field_error("form", STALE_MESSAGE, STALE_STEP)


async def enroll(parent: EmailedLink, start: EnrollmentStart) -> str:
    """Run MFA enrollment as a child of ``parent`` and follow it to its end. The parent's view
    names the child so the browser that clicked the link can be bound to it; the claim that
    came with the click lets the child's last answer sign that browser in."""
    child = await workflow.start_child_workflow(
        MfaEnrollmentWorkflow.run,
        dataclasses.replace(start, claim=parent.click_claim),
        id=f"{PROCESS}-{workflow.uuid4()}",
        parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        task_timeout=start.timings.task_timeout,
    )
    parent._view.enrollment_flow = child.id
    parent._link_opened(LinkOpened(start.account_id, child.id))
    parent._go(parent.STEPS.ENROLLING)
    result = await child
    if result == "completed":
        parent._finish("completed", parent.STEPS.COMPLETE)
    else:
        parent._finish("failed", parent.STEPS.ENROLLMENT_ABANDONED)
    return result

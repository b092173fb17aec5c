"""The email step of MFA enrollment, and what proves a mailbox.

Only a link or a code sent to the address on record proves the mailbox. An enrollment begun
with a password alone (first login, an administrator's reset) shows that address masked and
sends its first code there; the address may change once that code is verified, and then
both the old and the new mailbox are told. The host flow (workflows/enrollment.py) holds the
state these steps read: ``_start``, ``_email``, ``_on_record``, ``_email_confirmed``,
``_sent_by_kind`` and ``_notices``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import EmailToVerify, Outcome
    from activities.postgres import AccountActivities
    from domain.email import mask_email
    from workflows.code_challenge import CodeChallenge
    from workflows.code_step import CodeStep
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, field_error
    from workflows.notices import NoticeTemplate
    from workflows.steps import EnrollmentStep
    from workflows.versions import AUDITED_EMAIL, patched

ON_RECORD_FIRST = (
    "First verify the email address we have on record: click Send verification code. "
    "You can change the address once its code is verified."
)


class EmailStep(CodeStep):
    """Email Address, Send verification code, the code, Change — and the send limits that
    both of enrollment's code steps (email and phone) carry across changed addresses."""

    @workflow.update
    async def submit_email(self, email: str, pressed_at: int | None = None) -> FlowView:
        self._touch()
        self._email = email
        # Shown in full only to whoever proved the mailbox; until then, as on record: masked.
        self._view.email_address = mask_email(email) if self._must_confirm_on_record() else email
        self.challenge = self._challenge("email", email)
        self._go(EnrollmentStep.EMAIL_CODE)
        return await self.send_code(pressed_at)

    @submit_email.validator
    def _check_email(self, email: str, pressed_at: int | None = None) -> None:
        self._expect(EnrollmentStep.EMAIL, EnrollmentStep.EMAIL_CODE)
        if "@" not in email or email != email.strip():
            raise field_error("email", "Enter a valid email address.")
        if self._must_confirm_on_record() and email.casefold() != self._on_record.casefold():
            # A password alone must not move the account to another mailbox.
            raise field_error("email", ON_RECORD_FIRST)
        self._check_resend("email", "email")

    @workflow.update
    async def send_to_email_on_record(self, pressed_at: int | None = None) -> FlowView:
        """Send verification code, to the address on record (shown masked): the first step of
        an enrollment begun with a password alone."""
        return await self.submit_email(self._on_record, pressed_at)

    @send_to_email_on_record.validator
    def _check_send_to_on_record(self, pressed_at: int | None = None) -> None:
        self._expect(EnrollmentStep.EMAIL, EnrollmentStep.EMAIL_CODE)
        if not self._on_record:
            raise field_error("email", "Enter a valid email address.")
        self._check_resend("email", "email")

    @workflow.update
    def change_email(self) -> FlowView:
        return self._back_to(EnrollmentStep.EMAIL)

    @change_email.validator
    def _check_change_email(self) -> None:
        # Also once verified, before the password: a new address is verified in its turn.
        self._expect(EnrollmentStep.EMAIL_CODE, EnrollmentStep.PASSWORD)

    def _offer_email_on_record(self) -> None:
        """The email screen shows the address on record masked, with its own button: the
        person proves that mailbox before anything else (then may change the address)."""
        if self._on_record:
            self._view.email_address, self._view.email_on_record = "", mask_email(self._on_record)

    def _must_confirm_on_record(self) -> bool:
        return not self._start.mailbox_proven and not self._email_confirmed and bool(self._on_record)

    async def _email_verified(self) -> None:
        """The email code was right: the address is the account's now (the database refuses
        one another account holds), and a changed address tells both mailboxes."""
        assert self.challenge is not None
        audited = patched(AUDITED_EMAIL)
        to_verify = EmailToVerify(self._start.account_id, self._email, audited)
        outcome: Outcome = await database_step(AccountActivities.verify_account_email, to_verify)
        if outcome.error:
            # The spent challenge would refuse every new send ("already verified"); its
            # successor lets the person try another address within the same send limits.
            self._sent_by_kind["email"] = self.challenge.successor("email", self._email)
            self.challenge = None
            self._go(EnrollmentStep.EMAIL)
            self._show_error("email", outcome.error)
            return
        # A later change of address starts from the same send limits, not "already verified".
        self._sent_by_kind["email"] = self.challenge.successor("email", self._email)
        self.challenge = None
        self._email_confirmed = True
        self._view.email_on_record, self._view.email_address = "", self._email
        if not audited:
            await self._audit("mfa.email_verified")
        if self._on_record and self._email.casefold() != self._on_record.casefold():
            # Both mailboxes hear of it: the old one in case this was not its owner.
            self._notices.send(self._start.account_id, NoticeTemplate.EMAIL_CHANGED, self._on_record, self._email, new_email=mask_email(self._email))
        self._on_record = self._email
        self._go(EnrollmentStep.PASSWORD, notice="The code has been verified. You can now continue.")

    def _challenge(self, channel: str, destination: str) -> CodeChallenge:
        previous = self._sent_by_kind.get(_kind(channel))
        if previous is None:
            challenge = CodeChallenge(self._start.timings.code_policy(), channel, destination, "registration")
        else:
            challenge = previous.successor(channel, destination)
        self._sent_by_kind[_kind(channel)] = challenge
        return challenge

    def _check_resend(self, field_name: str, channel: str) -> None:
        previous = self._sent_by_kind.get(_kind(channel))
        refusal = previous.send_refusal(workflow.now()) if previous is not None else None
        if refusal:
            raise field_error(field_name, refusal)


def _kind(channel: str) -> str:
    return "email" if channel == "email" else "phone"

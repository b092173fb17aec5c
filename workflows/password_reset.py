"""Forgot or Reset Password (guide "Forgot or Reset Password").

Email Address → a 6-digit code → "Continue" → phone users then verify by SMS or a call, and
authenticator-app and passkey users use the app's code, the passkey or a recovery code (a reset never bypasses the
second factor; email-only users skip this) → New Password and
Confirm New Password → "Continue" → home, with every other session and Remember Me revoked.

The edge starts this flow for any address typed, known or not: for an unknown one the flow
delivers nothing but otherwise behaves the same, so the answers reveal no accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import AuditEntry, StagedPassword
    from activities.postgres import AccountActivities
    from domain.email import mask_email
    from domain.phone import mask_phone
    from workflows.second_factor import SecondFactorStep
    from workflows.code_challenge import CodeChallenge
    from workflows.code_step import PhoneCodeStep
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, field_error
    from workflows.notices import Notices, NoticeTemplate
    from workflows.sign_in_hand_over import SignInHandOver
    from workflows.staged_password import (
        PASSWORD_NOT_ACCEPTED,
        apply_staged_password,
        refuse_hash_from_update,
        save_hash_from_update,
    )
    from workflows.steps import PasswordResetStep
    from workflows.timings import Timings

PROCESS = "password_reset"


@dataclass(frozen=True)
class PasswordResetStart:
    account_id: str  # "" when no active account has this address
    email: str  # where the code goes: the address on record (for an unknown one, as typed)
    phone: str = ""  # the number on record for phone users (E.164); "" for email-only users
    timings: Timings = field(default_factory=Timings)
    # The address as the person typed it, which the screens show masked (the stored spelling
    # would tell that the account exists); "" in flows started before it was kept apart.
    shown_email: str = ""
    # The digest of the starting browser's binding: the last update hands it the sign-in.
    claim: str = ""
    # "app" or "passkey": the account's second factor.
    second_factor: str = ""


@workflow.defn
class PasswordResetWorkflow(PhoneCodeStep, SecondFactorStep, SignInHandOver, steps=PasswordResetStep):
    @workflow.init
    def __init__(self, start: PasswordResetStart) -> None:
        super().__init__()
        self._start = start
        self._known = bool(start.account_id)
        self._saving_password = False
        self._notices = Notices()
        self._hand_over_to(start.account_id, start.claim)
        # Search attributes carry the account only when there is one: "" is not an account.
        self._start_flow(PROCESS, PasswordResetStep.EMAIL_CODE, account_id=start.account_id)
        self._view.email = mask_email(start.shown_email or start.email)
        self.challenge = CodeChallenge(
            start.timings.code_policy(), "email", start.email, "password_reset", deliver=self._known
        )

    @workflow.run
    async def run(self, start: PasswordResetStart) -> str:
        await self.send_code()
        return await self._handed_over_unless_idle(start.timings.idle, self._notices, done="reset")

    @workflow.update
    def continue_reset(self) -> FlowView:
        """Continue, once the email code was verified."""
        self._touch()
        if self._start.second_factor:
            self.challenge = None
            self._go(self._factor_screen())
        elif self._start.phone:
            self.challenge = None
            self._view.phone = mask_phone(self._start.phone)
            self._go(PasswordResetStep.PHONE)
        else:
            self._go(PasswordResetStep.NEW_PASSWORD)
        return self.view()

    @continue_reset.validator
    def _check_continue(self) -> None:
        if self._view.step != PasswordResetStep.EMAIL_VERIFIED:
            raise field_error("form", "Please verify your email address first.")

    def _first_phone_challenge(self, channel: str) -> CodeChallenge:
        return CodeChallenge(self._start.timings.code_policy(), channel, self._start.phone, "password_reset")

    @workflow.update
    async def save_new_password(self) -> FlowView:
        """Continue: the password the edge staged for this flow (workflows/staged_password.py)."""
        self._touch()
        self._saving_password = True
        saved = StagedPassword(self._start.account_id, "password.reset", end_sign_ins=True)
        applied, audited = await apply_staged_password(saved)
        if not applied:
            self._saving_password = False
            self._show_error("password", PASSWORD_NOT_ACCEPTED)
            return self.view()
        await self._password_changed(saved_with_its_end_of_sign_ins=audited)
        return self._answer()

    @save_new_password.validator
    def _check_save_new_password(self) -> None:
        self._check_new_password_step()

    @workflow.update
    async def set_new_password(self, password_hash: str) -> FlowView:
        """The hash in the argument, as before staging (workflows/staged_password.py): replay only."""
        self._touch()
        self._saving_password = True
        await save_hash_from_update(self._start.account_id, password_hash)
        await self._password_changed()
        return self.view()

    @set_new_password.validator
    def _check_new_password(self, password_hash: str) -> None:
        self._check_new_password_step()
        refuse_hash_from_update()

    def _check_new_password_step(self) -> None:
        if self._saving_password:
            # A double-clicked Continue: the first one is already saving the password.
            raise field_error("form", "Your new password is being saved. Please wait.")
        if self._view.step != PasswordResetStep.NEW_PASSWORD or not self._known:
            raise field_error("form", "Please verify your email address first.")

    async def _password_changed(self, *, saved_with_its_end_of_sign_ins: bool = False) -> None:
        account = self._start.account_id
        if not saved_with_its_end_of_sign_ins:  # a flow from before AUDITED_WRITES
            # Whoever else was signed in, or remembered, must prove themselves again.
            await database_step(AccountActivities.revoke_sign_ins, account)
            entry = AuditEntry("password.reset", subject=account, detail={"flow": workflow.info().workflow_id})
            await database_step(AccountActivities.record_audit, entry)
        self._notices.send(account, NoticeTemplate.PASSWORD_CHANGED, self._start.email, signed_out="yes")
        self._finish("completed", PasswordResetStep.DONE)

    async def _second_factor_passed(self) -> None:
        self._go(PasswordResetStep.NEW_PASSWORD)

    def _notices_to(self) -> str:
        return self._start.email

    async def _code_verified(self) -> None:
        assert self.challenge is not None
        if self.challenge.channel == "email":
            self._go(PasswordResetStep.EMAIL_VERIFIED, notice="E-mail address verified. You can now continue.")
        else:
            self._go(PasswordResetStep.NEW_PASSWORD)

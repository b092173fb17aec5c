"""The password step of MFA enrollment: Create, once the edge has checked the new password,
hashed it and staged the hash for this flow. The hash never travels through history, and
the password is saved with its audit row in one transaction. The host flow
(workflows/enrollment.py) holds the state this step reads (``_start``, ``_method``,
``_on_record``, ``_saving_password``, ``_notices``) and goes on from here (``_complete``)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import StagedPassword
    from workflows.flow import FlowView, FlowWorkflow, field_error
    from workflows.notices import NoticeTemplate
    from workflows.staged_password import (
        PASSWORD_NOT_ACCEPTED,
        apply_staged_password,
        refuse_hash_from_update,
        save_hash_from_update,
    )
    from workflows.steps import EnrollmentStep


class PasswordStep(FlowWorkflow):
    @workflow.update
    async def save_password(self) -> FlowView:
        """Create: the password the edge staged for this flow (workflows/staged_password.py)."""
        self._touch()
        self._saving_password = True
        try:
            applied, audited = await apply_staged_password(StagedPassword(self._start.account_id, "password.created"))
            if applied and not audited:
                await self._audit("password.created")
            if applied:
                await self._password_saved()
            else:
                self._show_error("password", PASSWORD_NOT_ACCEPTED)
        finally:
            self._saving_password = False
        return self._answer()  # with the email method, the password is the last step

    @save_password.validator
    def _check_save_password(self) -> None:
        self._check_password_step()

    @workflow.update
    async def set_password(self, password_hash: str) -> FlowView:
        """The hash in the argument, as before staging (workflows/staged_password.py): replay only."""
        self._touch()
        self._saving_password = True
        try:
            await save_hash_from_update(self._start.account_id, password_hash)
            await self._audit("password.created")
            await self._password_saved()
        finally:
            self._saving_password = False
        return self.view()

    @set_password.validator
    def _check_password(self, password_hash: str) -> None:
        self._check_password_step()
        refuse_hash_from_update()

    def _check_password_step(self) -> None:
        self._expect(EnrollmentStep.PASSWORD)
        if self._saving_password:
            # A double-clicked Create: the first one is already saving the password.
            raise field_error("password", "Your password is being saved. Please wait.")

    async def _password_saved(self) -> None:
        if self._start.established:
            self._notices.send(self._start.account_id, NoticeTemplate.PASSWORD_CHANGED, self._on_record)
        if self._method == "email":
            await self._complete("email")
        elif self._method == "app":
            await self._set_up_app()
        elif self._method == "passkey":
            self._go(EnrollmentStep.PASSKEY)
        else:
            self._go(EnrollmentStep.PHONE)

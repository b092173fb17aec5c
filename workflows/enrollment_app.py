"""The authenticator-app method of MFA enrollment (issue 10): after the password, the app is
set up (a new secret, sealed on the worker; its QR code shown by the edge), confirmed by a
code from it, and the person is given recovery codes to keep (issued by the edge, shown
once, never through history). The host flow (workflows/enrollment.py) holds ``_start`` and
goes on from here (``_complete``)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import AppCode
    from activities.postgres_authenticator import AuthenticatorActivities
    from workflows.app_code_step import AppCodeStep
    from workflows.database_steps import database_step
    from workflows.flow import FlowView
    from workflows.steps import EnrollmentStep


class AppStep(AppCodeStep):
    def _app_code_screen(self) -> str:
        return EnrollmentStep.APP

    def _app_code_of(self, code_digest: str) -> AppCode:
        return AppCode(self._start.account_id, code_digest, setting_up=True)

    async def _set_up_app(self) -> None:
        """A new secret, pending beside any app in use, and the screen that shows it."""
        await database_step(AuthenticatorActivities.stage_authenticator_app, self._start.account_id)
        self._app_code_answers.count = 0
        self._go(EnrollmentStep.APP)

    async def _app_code_verified(self) -> None:
        # The account's method is the app from here on (saved with the check).
        self._go(EnrollmentStep.RECOVERY_CODES, notice="Your authenticator app is set up.")

    @workflow.update
    async def new_app_key(self) -> FlowView:
        """A fresh key and QR code: the person could not add the first one, or typed too many
        wrong codes for it."""
        self._touch()
        await self._set_up_app()
        return self.view()

    @new_app_key.validator
    def _check_new_app_key(self) -> None:
        self._expect(EnrollmentStep.APP)

    @workflow.update
    async def recovery_codes_saved(self) -> FlowView:  # after the app or a passkey
        """I have saved my recovery codes, Continue."""
        self._touch()
        await self._complete(self._method)
        return self._answer()

    @recovery_codes_saved.validator
    def _check_codes_saved(self) -> None:
        self._expect(EnrollmentStep.RECOVERY_CODES)

"""The authenticator app's code, the part a flow opts into (enrollment's setup, login's second
factor): Verify code with the 6 digits the app shows. The edge sends the code's keyed digest
(api/code_checks.py, throttled as every code is); the worker holding the sealed secret
compares it (activities/postgres_authenticator.py). Unlike a sent code there is nothing to
send again, so wrong tries are counted per flow until it refuses more (workflows/answer_check.py)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import APP_CODE_USED, APP_CODE_VERIFIED, AppCode
    from activities.postgres_authenticator import AuthenticatorActivities
    from domain.digests import is_digest
    from workflows.answer_check import AnswerCheck
    from workflows.code_challenge import NOT_SIX_DIGITS
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, FlowWorkflow, field_error

APP_CODE_WRONG = "The code is incorrect. Please enter the code your authenticator app shows now."
APP_CODE_SPENT = "This code was used already. Please wait for your app to show a new code."
APP_CODE_LOCKED = "Too many incorrect codes. Please start again."
APP_CODE_CHECKING = "Your code is being checked. Please wait."


class AppCodeStep(FlowWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._app_code_answers = AnswerCheck(APP_CODE_WRONG, APP_CODE_LOCKED, APP_CODE_CHECKING)

    # --- what the host flow says ----------------------------------------------------------
    def _app_code_screen(self) -> str:
        """The step whose screen takes the app's code."""
        raise NotImplementedError

    def _app_code_of(self, code_digest: str) -> AppCode:
        """The check to run: whose app, and whether it is being set up."""
        raise NotImplementedError

    async def _app_code_verified(self) -> None:
        """Hook: the code was right; move to the next screen here."""

    # --- the action -------------------------------------------------------------------------
    @workflow.update
    async def verify_app_code(self, code_digest: str) -> FlowView:
        self._touch()
        with self._app_code_answers.checking():
            outcome = await database_step(AuthenticatorActivities.check_app_code, self._app_code_of(code_digest))
        if outcome == APP_CODE_VERIFIED:
            self._clear_errors()
            await self._app_code_verified()
        elif outcome == APP_CODE_USED:
            self._show_error("code", APP_CODE_SPENT, APP_CODE_USED)
        else:
            self._app_code_answers.refuse(self)
        return self._answer()

    @verify_app_code.validator
    def _check_app_code(self, code_digest: str) -> None:
        if self._view.step != self._app_code_screen():
            raise field_error("code", "There is no code to verify on this screen.")
        self._app_code_answers.admit()
        if not is_digest(code_digest):
            raise field_error("code", "Enter the 6-digit code.", NOT_SIX_DIGITS)

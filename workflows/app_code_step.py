"""The authenticator app's code, the part a flow opts into (enrollment's setup, login's second
factor): Verify code with the 6 digits the app shows. The edge sends the code's keyed digest
(api/code_checks.py, throttled as every code is); the worker holding the sealed secret
compares it (activities/postgres_authenticator.py). Unlike a sent code there is nothing to
send again, so wrong tries are counted per flow until it refuses more."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import APP_CODE_USED, APP_CODE_VERIFIED, AppCode
    from activities.postgres_authenticator import AuthenticatorActivities
    from domain.digests import is_digest
    from workflows.code_challenge import NOT_SIX_DIGITS, Outcome
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, FlowWorkflow, field_error

MAX_WRONG_TRIES = 5
APP_CODE_WRONG = "The code is incorrect. Please enter the code your authenticator app shows now."
APP_CODE_SPENT = "This code was used already. Please wait for your app to show a new code."
APP_CODE_LOCKED = "Too many incorrect codes. Please start again."
APP_CODE_CHECKING = "Your code is being checked. Please wait."


@dataclass
class WrongTries:
    """Wrong codes typed in one flow, where nothing new can be sent: after MAX_WRONG_TRIES the
    flow takes no more (the edge's throttle counts across flows besides)."""

    wrong: str  # the message for a wrong code
    locked: str  # and for the last one allowed, and every try after it
    field: str = "code"  # the screen's field they are shown on
    count: int = 0

    @property
    def used_up(self) -> bool:
        return self.count >= MAX_WRONG_TRIES

    def refuse(self, flow: FlowWorkflow) -> None:
        """One more wrong code, shown on its field with its outcome."""
        self.count += 1
        outcome = Outcome.LOCKED if self.used_up else Outcome.WRONG
        flow._show_error(self.field, self.locked if self.used_up else self.wrong, outcome.value)


class AppCodeStep(FlowWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._app_wrong_tries = WrongTries(APP_CODE_WRONG, APP_CODE_LOCKED)
        self._checking_app_code = False

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
        self._checking_app_code = True
        try:
            outcome = await database_step(AuthenticatorActivities.check_app_code, self._app_code_of(code_digest))
        finally:
            self._checking_app_code = False
        if outcome == APP_CODE_VERIFIED:
            self._clear_errors()
            await self._app_code_verified()
        elif outcome == APP_CODE_USED:
            self._show_error("code", APP_CODE_SPENT, APP_CODE_USED)
        else:
            self._app_wrong_tries.refuse(self)
        return self._answer()

    @verify_app_code.validator
    def _check_app_code(self, code_digest: str) -> None:
        if self._view.step != self._app_code_screen():
            raise field_error("code", "There is no code to verify on this screen.")
        if self._checking_app_code:
            raise field_error("code", APP_CODE_CHECKING)
        if self._app_wrong_tries.used_up:
            raise field_error("code", APP_CODE_LOCKED, Outcome.LOCKED.value)
        if not is_digest(code_digest):
            raise field_error("code", "Enter the 6-digit code.", NOT_SIX_DIGITS)

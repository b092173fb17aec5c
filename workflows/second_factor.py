"""The second factor of someone whose method is the authenticator app or a passkey (issue 10),
the part login and password reset opt into: the code the app shows, or the passkey, or,
without either at hand, one of their recovery codes, which passes once and tells them by
email how many are left. The host flow's steps have APP_CODE, PASSKEY and RECOVERY_CODE; it
holds ``_start`` (with ``second_factor``: "app" or "passkey") and ``_notices``, says where
notices go and what follows the factor."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import AppCode, PasskeyAnswer, RecoveryCode, RecoveryCodeUsed
    from activities.postgres_authenticator import AuthenticatorActivities
    from activities.postgres_passkeys import PasskeyActivities
    from domain.digests import is_digest
    from workflows.answer_check import AnswerCheck
    from workflows.app_code_step import APP_CODE_CHECKING, AppCodeStep
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, field_error
    from workflows.passkey_step import PasskeyEntry, PasskeyStep
    from workflows.notices import NoticeTemplate

RECOVERY_CODE_WRONG = "This recovery code is incorrect, or it was used already."
RECOVERY_CODE_LOCKED = "Too many incorrect recovery codes. Please start again."
NOT_A_RECOVERY_CODE = "Enter a recovery code: 16 letters and digits, as printed."


class SecondFactorStep(AppCodeStep, PasskeyStep):
    STEPS: Any  # the flow's step enum

    def __init__(self) -> None:
        super().__init__()
        self._recovery_answers = AnswerCheck(RECOVERY_CODE_WRONG, RECOVERY_CODE_LOCKED, APP_CODE_CHECKING)

    # --- what the host flow says ----------------------------------------------------------
    async def _second_factor_passed(self) -> None:
        """Hook: the app's code, the passkey or a recovery code was right; move on from here."""
        raise NotImplementedError

    def _factor_used(self, method: str) -> None:
        """Hook: the app ("app") or the passkey ("passkey") passed; a recovery code sends its own notice."""

    def _notices_to(self) -> str:
        """The address on record, told when a recovery code is used."""
        raise NotImplementedError

    def _factor_screen(self) -> str:
        """The screen of the person's own factor: the app's code, or their passkey."""
        return self.STEPS.PASSKEY if self._start.second_factor == "passkey" else self.STEPS.APP_CODE

    # --- the app's code ---------------------------------------------------------------------
    def _app_code_screen(self) -> str:
        return self.STEPS.APP_CODE

    def _app_code_of(self, code_digest: str) -> AppCode:
        return AppCode(self._start.account_id, code_digest)

    async def _app_code_verified(self) -> None:
        self._factor_used("app")
        await self._second_factor_passed()

    # --- the passkey ------------------------------------------------------------------------
    def _passkey_screen(self) -> str:
        return self.STEPS.PASSKEY

    def _passkey_check(self, entry: PasskeyEntry, ceremony: int) -> tuple[Any, PasskeyAnswer]:
        return PasskeyActivities.check_passkey, PasskeyAnswer(self._start.account_id, ceremony, entry.answer)

    async def _passkey_accepted(self) -> None:
        self._factor_used("passkey")
        await self._second_factor_passed()

    # --- a recovery code instead ------------------------------------------------------------
    @workflow.update
    def use_recovery_code(self) -> FlowView:
        """Use a recovery code instead: the app or the passkey is not at hand."""
        return self._back_to(self.STEPS.RECOVERY_CODE)

    @use_recovery_code.validator
    def _check_use_recovery_code(self) -> None:
        self._expect_step(self._factor_screen())

    @workflow.update
    def use_second_factor(self) -> FlowView:
        """Back to the app's code or the passkey."""
        return self._back_to(self._factor_screen())

    @use_second_factor.validator
    def _check_use_second_factor(self) -> None:
        self._expect_step(self.STEPS.RECOVERY_CODE)

    @workflow.update
    async def verify_recovery_code(self, code_digest: str) -> FlowView:
        self._touch()
        typed = RecoveryCode(self._start.account_id, code_digest)
        with self._recovery_answers.checking():
            used: RecoveryCodeUsed = await database_step(AuthenticatorActivities.use_recovery_code, typed)
        if used.accepted:
            self._notices.send(self._start.account_id, NoticeTemplate.RECOVERY_CODE_USED, self._notices_to(), left=str(used.left))
            self._clear_errors()
            await self._second_factor_passed()
        else:
            self._recovery_answers.refuse(self)
        return self._answer()

    @verify_recovery_code.validator
    def _check_recovery_code(self, code_digest: str) -> None:
        self._expect_step(self.STEPS.RECOVERY_CODE)
        self._recovery_answers.admit()
        if not is_digest(code_digest):
            raise field_error("code", NOT_A_RECOVERY_CODE, "not_a_recovery_code")

    def _expect_step(self, step: str) -> None:
        if self._view.step != step:
            raise field_error("form", "This step is already complete.")

"""The passkey method of MFA enrollment (issue 10): after the password, the browser makes a
passkey on this device (or a phone or security key it offers), with its PIN or biometric;
the worker checks the answer and saves the passkey as the account's second factor, then the
person is given recovery codes (workflows/enrollment_app.py's screen).

From home, after the password was typed again, an enrollment starts at this step: to add
another passkey ("add_passkey", done once it is saved), or to make a passkey the second
factor of an account that had another ("switch_to_passkey", recovery codes follow). The
host flow (workflows/enrollment.py) holds ``_start`` and ``_notices``."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import PasskeyAnswer
    from activities.postgres_passkeys import PasskeyActivities
    from workflows.notices import NoticeTemplate
    from workflows.passkey_step import PasskeyEntry, PasskeyStep
    from workflows.steps import EnrollmentStep

DEFAULT_NAME = "Passkey"
ADD_PASSKEY = "add_passkey"
PASSKEY_FROM_HOME = (ADD_PASSKEY, "switch_to_passkey")


class NewPasskeyStep(PasskeyStep):
    def __init__(self) -> None:
        super().__init__()
        self._passkey_name = DEFAULT_NAME

    def _passkey_screen(self) -> str:
        return EnrollmentStep.PASSKEY

    def _passkey_check(self, entry: PasskeyEntry, ceremony: int) -> tuple[Any, PasskeyAnswer]:
        self._passkey_name = " ".join(entry.name.split()) or DEFAULT_NAME
        as_method = self._start.purpose != ADD_PASSKEY
        new = PasskeyAnswer(self._start.account_id, ceremony, entry.answer, name=self._passkey_name, as_method=as_method)
        return PasskeyActivities.register_passkey, new

    async def _passkey_accepted(self) -> None:
        if self._start.purpose == ADD_PASSKEY:
            self._notices.send(self._start.account_id, NoticeTemplate.PASSKEY_ADDED, self._on_record, name=self._passkey_name)
            self._finish("completed", EnrollmentStep.DONE, notice="Your passkey is saved.")
            return
        # The passkey is the account's method from here on (saved with the check).
        self._go(EnrollmentStep.RECOVERY_CODES, notice="Your passkey is saved.")

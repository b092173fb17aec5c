"""Sign in with a passkey alone (issue 10): a passkey is a second factor on its own (the
device, unlocked by its fingerprint, face or PIN), so it may stand in for the password too,
where the person chooses "Sign in with a passkey". No account is known when the flow starts;
the browser's answer names its passkey, and the worker checks it (challenge, origin, user
verification, counter) and says whose it is. The last answer hands that account to the
browser that started the flow; the edge signs it in only if the passkey it sent is that
account's (api/routes/passkey_login.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import PasskeyAnswer, PasskeyOwner
    from activities.postgres_passkeys import PasskeyActivities
    from workflows.notices import Notices, NoticeTemplate
    from workflows.passkey_step import PasskeyEntry, PasskeyStep
    from workflows.sign_in_hand_over import SignInHandOver
    from workflows.steps import PasskeyLoginStep
    from workflows.timings import Timings

PROCESS = "passkey_login"


@dataclass(frozen=True)
class PasskeyLoginStart:
    claim: str  # the digest of the starting browser's binding (a claim seed's)
    timings: Timings = field(default_factory=Timings)


@workflow.defn
class PasskeyLoginWorkflow(PasskeyStep, SignInHandOver, steps=PasskeyLoginStep):
    @workflow.init
    def __init__(self, start: PasskeyLoginStart) -> None:
        super().__init__()
        self._start = start
        self._owner: PasskeyOwner | None = None
        self._notices = Notices()
        self._start_flow(PROCESS, PasskeyLoginStep.PASSKEY)

    @workflow.run
    async def run(self, start: PasskeyLoginStart) -> str:
        return await self._handed_over_unless_idle(start.timings.idle, self._notices, done="signed_in")

    def _passkey_screen(self) -> str:
        return PasskeyLoginStep.PASSKEY

    def _passkey_check(self, entry: PasskeyEntry, ceremony: int) -> tuple[Any, PasskeyAnswer]:
        return PasskeyActivities.check_passkey_first, PasskeyAnswer("", ceremony, entry.answer)

    def _passkey_passed(self, outcome: PasskeyOwner) -> bool:
        if not outcome.account_id:
            return False
        self._owner = outcome
        self._hand_over_to(outcome.account_id, self._start.claim)
        self._set_account(outcome.account_id)
        return True

    async def _passkey_accepted(self) -> None:
        assert self._owner is not None
        self._notices.send(self._owner.account_id, NoticeTemplate.SIGNED_IN, self._owner.email, method="passkey")
        self._finish("completed", PasskeyLoginStep.DONE)

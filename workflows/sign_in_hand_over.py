"""The end of a flow that signs its person in (login, enrollment, password reset): the
account the browser that finished may claim, once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.digests import digests_match
    from workflows.flow import FlowView, FlowWorkflow, field_error
    from workflows.notices import Notices
    from workflows.steps import DONE

# How long a finished flow waits for its browser to turn it into a signed-in session.
_CLAIM_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class ClaimedSignIn:
    account_id: str
    claimed_at: datetime
    claim: str  # the digest the claim came with


class SignInHandOver(FlowWorkflow):
    def __init__(self) -> None:
        super().__init__()
        # Set by the flow: the account the browser may claim, once.
        self._sign_in_account = ""
        self._claimed = False
        self._claim: ClaimedSignIn | None = None
        # The claim digest of the browser this flow was started for, when the API that started
        # it sent one: then the update that finishes the flow answers with the sign-in itself.
        self._expected_claim = ""

    def _hand_over_to(self, account_id: str, claim: str) -> None:
        """The account this flow signs in at its end, and the claim of the browser that started it."""
        self._sign_in_account = account_id
        self._expected_claim = claim

    async def _handed_over_unless_idle(self, idle: timedelta, notices: Notices, done: str) -> str:
        """The run's result: wait for the person to finish, hand the sign-in over and see the
        flow's notices out, then ``done``; "expired", the flow ended so, when it was left idle
        for ``idle`` first."""
        if not await self._wait_until_done(idle):
            self._finish("failed", self.STEPS.EXPIRED)
            return "expired"
        await self._hand_over_sign_in()
        await notices.delivered()
        return done

    async def _hand_over_sign_in(self) -> None:
        """Give the browser a moment to claim the sign-in, then let running handlers finish."""
        try:
            await workflow.wait_condition(lambda: self._claimed, timeout=_CLAIM_WINDOW)
        except asyncio.TimeoutError:
            pass
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _answer(self) -> FlowView:
        """The finishing update's answer carries the sign-in, claimed by the browser the flow
        was started for (the API sends a flow's updates only for the browser bound to it): one
        round trip fewer than a separate claim. A lost answer is repeated through
        ``repeat_claim``, as a claim's is. Flows started without a claim are claimed as before."""
        answer = super()._answer()
        if answer.step == DONE and self._expected_claim and self._sign_in_account and not self._claimed:
            self._claimed = True
            self._claim = ClaimedSignIn(self._sign_in_account, workflow.now(), self._expected_claim)
            answer.grant = self._sign_in_account
        return answer

    @workflow.update
    def claim_sign_in(self, claim: str = "") -> str:
        """Once, for the browser that finished: the account to sign in. ``claim``: a digest
        of that browser's binding, by which a repeat of a claim whose answer was lost (the API
        died mid-request) is recognised, even after the flow has ended (``repeat_claim``)."""
        self._claimed = True
        self._claim = ClaimedSignIn(self._sign_in_account, workflow.now(), claim)
        return self._sign_in_account

    @workflow.query
    def repeat_claim(self, claim: str) -> ClaimedSignIn | None:
        """The sign-in claimed with this same ``claim`` digest, or None."""
        taken = self._claim
        if taken is None or not claim or not taken.claim or not digests_match(claim, taken.claim):
            return None
        return taken

    @claim_sign_in.validator
    def _check_claim(self, claim: str = "") -> None:
        if self._view.step != DONE or self._claimed or not self._sign_in_account:
            raise field_error("form", "This step is already complete. Please log in.")

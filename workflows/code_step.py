"""The code step a flow opts into (enrollment, login, password reset): Send Code / Call Me,
Verify code, and the voice call's key press, around the flow's ``challenge``
(workflows/code_challenge.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import SPOKEN_CODE, CodeDelivery
    from activities.email import EmailActivities
    from activities.phone import PhoneActivities
    from domain.digests import is_digest
    from workflows.code_challenge import ALREADY_SENDING, MESSAGES, NOT_SIX_DIGITS, CodeChallenge, CodeStatus, Outcome
    from workflows.deliveries import (
        STILL_SENDING_CODE, done_soon, done_soon_or, past_this_worker, refused, retries_within_life,
        start_delivery, tries_here,
    )
    from workflows.flow import FlowView, FlowWorkflow, field_error
    from workflows.versions import IMITATED_SENDS, patched

PHONE_CHANNELS = ("sms", "voice")
# A press stamped further back than this before its flow took it says the API's clock is off,
# not that the press was late: a lost task waits FLOW_TASK_TIMEOUT (10 s) for another worker.
PRESS_TRUSTED_WITHIN = timedelta(seconds=20)
CODE_SENT = "Verification code has been sent. Please copy it to the input box below."
CALL_PLACED = "We are calling you now. Answer the call and enter the 6-digit code you hear below."
# The activity each channel's code goes out by.
_SENDERS = {
    "email": EmailActivities.send_code_email,
    "sms": PhoneActivities.send_code_sms,
    "voice": PhoneActivities.place_verification_call,
}


@dataclass(frozen=True)
class Keypress:
    """Reported by the voice webhook: the digest of the call's token and the digits pressed."""

    token_digest: str
    digits: str


class CodeStep(FlowWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self.challenge: CodeChallenge | None = None
        self._sending = False

    async def _code_verified(self) -> None:
        """Hook: the challenge was just passed; move to the next screen here so the
        answer to the user's action already shows it."""

    def _code_status(self) -> CodeStatus | None:
        return self.challenge.status(workflow.now()) if self.challenge is not None else None

    @workflow.update
    async def send_code(self, pressed_at: int | None = None) -> FlowView:
        """Send New Code / Send Code / Call Me: a fresh code through the challenge's channel.
        ``pressed_at``: when the API took the press, in ms since the epoch (``code_life_start``)."""
        assert self.challenge is not None
        self._touch()
        self._sending = True
        if not retries_within_life():
            await self._deliver_code(pressed_at)
            return self.view()
        # A press's send (an update's, after the run's first task) may try this worker first;
        # a run's own (a password reset's first code) may not: workflows/deliveries.py.
        here = tries_here(self._past_first_task() and workflow.current_update_info() is not None)
        tried_here = asyncio.Event()
        delivery = asyncio.create_task(self._deliver_code(pressed_at, here, tried_here))
        if here:
            await past_this_worker(tried_here)
        if not await done_soon(delivery):
            # The provider is slow or down: say so now; the send goes on, and the screen
            # shows "sent" (or that it failed) once it is over.
            self._clear_errors()
            self._view.notice = STILL_SENDING_CODE
            return self.view()
        await delivery
        return self.view()

    async def _deliver_code(
        self, pressed_at: int | None, here: bool = False, tried_here: asyncio.Event | None = None
    ) -> None:
        assert self.challenge is not None
        try:
            failure = await _send(self.challenge, code_life_start(pressed_at), here=here, tried_here=tried_here)
        finally:
            self._sending = False
            if tried_here is not None:
                tried_here.set()
        if failure is None:
            self._clear_errors()
            self._view.notice = CALL_PLACED if self.challenge.channel == "voice" else CODE_SENT
        else:
            self._view.notice = ""
            self._show_error("code", MESSAGES[failure], failure.value)

    @send_code.validator
    def _validate_send_code(self, pressed_at: int | None = None) -> None:
        if self.challenge is None:
            raise field_error("code", "There is no verification step on this screen.")
        self._check_send()

    def _check_send(self) -> None:
        """For the validator of every action that sends a code: none while one is on its way
        (a second click would send two), and none the challenge's limits refuse."""
        if self._sending:
            raise field_error("code", ALREADY_SENDING, Outcome.SENDING.value)
        refusal = self.challenge.send_refusal(workflow.now()) if self.challenge is not None else None
        if refusal:
            raise field_error("code", refusal)

    @workflow.update
    async def verify_code(self, code_digest: str) -> FlowView:
        assert self.challenge is not None
        self._touch()
        # The email or SMS can arrive before the sending activity's answer does: a code typed
        # in that moment is compared once it is recorded, not refused as "not sent yet".
        if not retries_within_life():
            await workflow.wait_condition(lambda: not self._sending)
        elif self._sending:
            # A send still retrying through an outage does not hold the press: the code on
            # record until then is the one compared.
            await done_soon_or(lambda: not self._sending)
        assert self.challenge is not None
        outcome = self.challenge.verify(code_digest, workflow.now())
        if outcome is Outcome.VERIFIED:
            self._clear_errors()
            await self._code_verified()
        elif outcome is Outcome.NOT_SENT and self._sending:
            # The code can be in the person's hands before its send is confirmed (a worker
            # died after handing it over, and the retry is on its way): ask again, not anew.
            self._show_error("code", MESSAGES[Outcome.SENDING], Outcome.SENDING.value)
        else:
            self._show_error("code", MESSAGES[outcome], outcome.value)
        return self._answer()

    @verify_code.validator
    def _validate_verify_code(self, code_digest: str) -> None:
        if self.challenge is None or self.challenge.awaits_keypress:
            raise field_error("code", "There is no code to verify on this screen.")
        if not is_digest(code_digest):
            raise field_error("code", "Enter the 6-digit code.", NOT_SIX_DIGITS)

    @workflow.signal
    async def phone_keypress(self, press: Keypress) -> None:
        if self.challenge is not None and self.challenge.confirm_keypress(
            press.token_digest, press.digits, workflow.now()
        ):
            self._touch()
            self._clear_errors()
            await self._code_verified()


class PhoneCodeStep(CodeStep):
    """Send Code (SMS) or Call Me to the number on record, for a flow whose steps have PHONE,
    PHONE_CODE and PHONE_CALL (login by phone, a phone user's password reset)."""

    STEPS: Any  # the flow's step enum

    def _first_phone_challenge(self, channel: str) -> CodeChallenge:
        """The flow's first challenge by phone, for the number on record."""
        raise NotImplementedError

    def _on_phone_screens(self) -> bool:
        return self._view.step in (self.STEPS.PHONE, self.STEPS.PHONE_CODE, self.STEPS.PHONE_CALL)

    @workflow.update
    async def send_phone_code(self, channel: str, pressed_at: int | None = None) -> FlowView:
        """Send Code (SMS) or Call Me, to the number on record. Switching between them keeps
        counting toward the same limits."""
        self._touch()
        previous = self.challenge
        if previous is None:
            self.challenge = self._first_phone_challenge(channel)
        else:
            self.challenge = previous.successor(channel, previous.destination)
        self._go(self.STEPS.PHONE_CODE if channel == "sms" else self.STEPS.PHONE_CALL)
        return await self.send_code(pressed_at)

    @send_phone_code.validator
    def _check_phone_code(self, channel: str, pressed_at: int | None = None) -> None:
        if not self._on_phone_screens():
            raise field_error("form", "This step is already complete.")
        if channel not in PHONE_CHANNELS:
            raise field_error("form", "Choose Send Code or Call Me.")
        self._check_send()


def code_life_start(pressed_at: int | None) -> datetime:
    """When a code asked for now starts its life: when the person pressed, as the API stamped
    it. The flow can take the press seconds later (the press's task was lost with a worker, or
    the server aborted it and the client sent it again), and a code that lived from then would
    be taken after its life as the person counts it. A press without a stamp (sent before
    stamps, or the flow's own send) starts it now; so does a stamp ahead of the flow's clock."""
    now = workflow.now()
    if pressed_at is None:
        return now
    pressed = datetime.fromtimestamp(pressed_at / 1000, timezone.utc)
    return max(min(pressed, now), now - PRESS_TRUSTED_WITHIN)


async def _send(
    challenge: CodeChallenge, asked_at: datetime, *, here: bool, tried_here: asyncio.Event | None
) -> Outcome | None:
    """Deliver a new code for ``challenge``: None once delivered, or why it was not
    (SEND_FAILED: the address was refused; SEND_TIMED_OUT: not delivered within its life)."""
    # A code's life starts when it is asked for (``asked_at``): a send retried after a crash
    # repeats the code it may already have delivered, and that first copy must not outlive its TTL.
    life = challenge.policy.ttl
    delivery = CodeDelivery(destination=challenge.destination, purpose=challenge.purpose,
                            expires_in_seconds=int(life.total_seconds()))
    if not challenge.deliver and not patched(IMITATED_SENDS):
        # Flows from before decoys imitated real sends: a random 60-400 ms, whatever the mail
        # server took.
        await workflow.sleep(timedelta(milliseconds=workflow.random().randint(60, 400)))
        challenge.record_sent(f"{workflow.random().getrandbits(256):064x}", asked_at)
        return None
    # A decoy for an address with no account (a password reset's) sends nothing, but runs as a
    # send does, an activity with the same input and options that copies a recent real attempt
    # of its worker: as slow, and failing and retried through an outage, so the answer's timing
    # names no account (activities/send_imitation.py).
    sender = _SENDERS[challenge.channel] if challenge.deliver else EmailActivities.imitate_code_email
    try:
        # Retried through a provider's outage, never past the code's life.
        sent = await start_delivery(sender, delivery, life, here=here, tried_here=tried_here)
    except FailureError as error:
        return Outcome.SEND_FAILED if refused(error) else Outcome.SEND_TIMED_OUT
    spoken = sent.detail.get(SPOKEN_CODE) == "yes"
    challenge.record_sent(sent.digest, asked_at, awaits_keypress=challenge.channel == "voice" and not spoken)
    return None


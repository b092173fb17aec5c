"""The code challenge every process uses: a 6-digit code sent by email, by SMS or spoken in a
call, then verified — with expiry, a resend cooldown and cap, and a limit on wrong tries per
code. It only decides; the flow sends (workflows/code_step.py) and records what went out.
Only keyed digests ever reach this object (and so history). Calls placed before the
call spoke its code asked for "#"; a flow that placed one still takes that key press."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.digests import digests_match
    from workflows.deliveries import CODE_ON_ITS_WAY

CHANNELS = ("email", "sms", "voice")


@dataclass(frozen=True)
class CodePolicy:
    ttl: timedelta
    resend_cooldown: timedelta
    max_sends: int = 10
    max_wrong_tries: int = 5


@dataclass
class CodeStatus:
    """What a screen needs to know about the challenge; never the code."""

    channel: str
    sent: bool
    verified: bool
    expires_at: datetime | None
    can_resend: bool
    resend_available_at: datetime | None
    sends_left: int
    tries_left: int


class Outcome(str, Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NOT_SENT = "not_sent"
    # The code is on its way but not confirmed yet: ask again, do not count a guess.
    SENDING = "sending"
    # Sends that did not deliver: the address was refused, or nothing went within the code's life.
    SEND_FAILED = "send_failed"
    SEND_TIMED_OUT = "send_timed_out"


MESSAGES = {
    Outcome.WRONG: "The verification code is incorrect. Please try again.",
    Outcome.EXPIRED: "The verification code has expired. Please click Send new code.",
    Outcome.LOCKED: "Too many incorrect attempts. Please click Send new code.",
    Outcome.NOT_SENT: "Please request a verification code first.",
    Outcome.SENDING: CODE_ON_ITS_WAY,
    Outcome.SEND_FAILED: "We could not send the verification code. Please check the address and try again.",
    # The provider did not take the message within the code's life (an outage): the address is fine.
    Outcome.SEND_TIMED_OUT: "We could not send the verification code in time. Please click Send new code to try again.",
}
# A second Send while the first code is on its way: refused, it would send two.
ALREADY_SENDING = "A code is already on its way."
# What was typed is no 6-digit code (refused at the edge, or by the flow's validator).
NOT_SIX_DIGITS = "not_six_digits"
SEND_FAILED = MESSAGES[Outcome.SEND_FAILED]
SEND_TIMED_OUT = MESSAGES[Outcome.SEND_TIMED_OUT]


class CodeChallenge:
    def __init__(
        self, policy: CodePolicy, channel: str, destination: str, purpose: str, *, deliver: bool = True
    ) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        # A challenge that never delivers behaves like one whose code nobody has: it lets a
        # flow for an unknown address look exactly like one for a known address.
        self.deliver = deliver
        self.policy = policy
        self.channel = channel
        self.destination = destination
        self.purpose = purpose
        self.sends = 0
        self.verified = False
        self._digest: str | None = None
        self._sent_at: datetime | None = None
        self._wrong_tries = 0
        # The last call asked for "#" instead of speaking a code (placed by older workers).
        self.awaits_keypress = False

    def successor(self, channel: str, destination: str) -> "CodeChallenge":
        """A challenge for another address or channel that inherits the send count and
        cooldown, so changing the address is no way around the resend limits."""
        follower = CodeChallenge(self.policy, channel, destination, self.purpose, deliver=self.deliver)
        follower.sends = self.sends
        follower._sent_at = self._sent_at
        return follower

    def send_refusal(self, now: datetime) -> str | None:
        """Why a send is not allowed right now (for update validators), or None."""
        if self.verified:
            return "This code has already been verified."
        if self.sends >= self.policy.max_sends:
            return "Too many codes were requested. Please start again later."
        ready_at = self._resend_available_at()
        if ready_at is not None and now < ready_at:
            wait = int((ready_at - now).total_seconds()) + 1
            return f"Please wait {wait} seconds before requesting a new code."
        return None

    def record_sent(self, digest: str, asked_at: datetime, *, awaits_keypress: bool = False) -> None:
        """A new code went out (asked for at ``asked_at``: its life starts then, as a send
        retried after a crash repeats the code it may already have delivered); the old one
        stops working."""
        self.awaits_keypress = awaits_keypress
        self.sends += 1
        self._digest = digest
        self._sent_at = asked_at
        self._wrong_tries = 0

    def verify(self, digest: str, now: datetime) -> Outcome:
        outcome = self._check(now)
        if outcome is not None:
            return outcome
        assert self._digest is not None
        if digests_match(digest, self._digest):
            self._finish()
            return Outcome.VERIFIED
        self._wrong_tries += 1
        return Outcome.LOCKED if self._wrong_tries >= self.policy.max_wrong_tries else Outcome.WRONG

    def confirm_keypress(self, token_digest: str, digits: str, now: datetime) -> bool:
        """The voice webhook reported a key press for a "press #" call this challenge placed."""
        if not self.awaits_keypress or self._check(now) is not None or self._digest is None:
            return False
        if "#" in digits and digests_match(token_digest, self._digest):
            self._finish()
            return True
        return False

    def status(self, now: datetime) -> CodeStatus:
        return CodeStatus(
            channel=self.channel,
            sent=self._digest is not None or self.verified,
            verified=self.verified,
            expires_at=self._expires_at(),
            can_resend=self.send_refusal(now) is None,
            resend_available_at=self._resend_available_at(),
            sends_left=max(0, self.policy.max_sends - self.sends),
            tries_left=max(0, self.policy.max_wrong_tries - self._wrong_tries),
        )

    def _check(self, now: datetime) -> Outcome | None:
        if self._digest is None or self._sent_at is None:
            return Outcome.NOT_SENT
        if self._wrong_tries >= self.policy.max_wrong_tries:
            return Outcome.LOCKED
        expires_at = self._expires_at()
        if expires_at is not None and now >= expires_at:
            return Outcome.EXPIRED
        return None

    def _finish(self) -> None:
        # A verified code is spent: it can never be replayed.
        self.verified = True
        self._digest = None

    def _expires_at(self) -> datetime | None:
        return None if self._sent_at is None or self.verified else self._sent_at + self.policy.ttl

    def _resend_available_at(self) -> datetime | None:
        return None if self._sent_at is None else self._sent_at + self.policy.resend_cooldown

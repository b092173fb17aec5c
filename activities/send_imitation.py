"""How long this worker's recent real code emails took, and whether they failed, so that a
password reset's decoy for an address with no account can take as long and fail as often
(``EmailActivities.imitate_code_email``).

A fixed or random wait cannot stand in for a send: the mail server sets how long a real one
takes (a few milliseconds to a local relay, a second to a busy provider, the attempt's whole
timeout while it is down), and a Send new code whose answer comes sooner or later for an
unknown address than for a known one tells an attacker which addresses have accounts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Few enough that a decoy copies what the provider does now: within seconds of an outage's start
# (or end) at a few sends a second, most of them are from it.
KEPT = 20
# Older attempts say nothing of the provider now: a failure from last night's outage must not
# make today's decoys fail while real sends go through.
MAX_AGE_SECONDS = 300.0
# Until this worker has made a recent real send, a decoy waits about as long as one to a nearby relay.
_FIRST_GUESS_SECONDS = (0.02, 0.2)


@dataclass(frozen=True)
class Attempt:
    seconds: float
    failed: bool
    ended_at: float = 0.0  # time.monotonic()


class RecentAttempts:
    """The last KEPT attempts of one kind of send in this worker process."""

    def __init__(self) -> None:
        self._attempts: deque[Attempt] = deque(maxlen=KEPT)
        # Which attempt a decoy copies must not be predictable from earlier ones.
        self._pick = random.SystemRandom()

    @contextmanager
    def timed(self, *, unless: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """Record the attempt made inside: how long it took and whether it failed. Errors in
        ``unless`` (an address the server refuses: the person's, not the provider's) are not
        recorded; an attempt ended by its timeout (cancelled) counts as failed."""
        started = time.monotonic()
        try:
            yield
        except unless:
            raise
        except (Exception, asyncio.CancelledError):
            self._record(started, failed=True)
            raise
        self._record(started, failed=False)

    def _record(self, started: float, *, failed: bool) -> None:
        now = time.monotonic()
        self._attempts.append(Attempt(now - started, failed, ended_at=now))

    def pick(self) -> Attempt:
        """A recent attempt to copy: one that ended as the newest did (the provider as it is
        now: up, or failing since an outage began), each such one as likely as the others."""
        since = time.monotonic() - MAX_AGE_SECONDS
        recent = [attempt for attempt in self._attempts if attempt.ended_at >= since]
        if not recent:
            return Attempt(self._pick.uniform(*_FIRST_GUESS_SECONDS), failed=False)
        now_failing = recent[-1].failed
        return self._pick.choice([attempt for attempt in recent if attempt.failed == now_failing])

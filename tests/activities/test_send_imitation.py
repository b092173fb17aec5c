"""A password reset's decoy send (an address with no account) copies the worker's recent real
code emails: as slow as they were through a slow mail server, failing while they fail, and
never copying an attempt from long ago (nor an address the server refused: tests/activities/test_email.py)."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
import pytest
from temporalio.exceptions import ApplicationError

from activities import send_imitation
from activities.contracts import CodeDelivery
from activities.email import IMITATED_FAILURE, EmailActivities
from activities.send_imitation import KEPT, RecentAttempts
from devstack.ports import free_port
from domain.digests import is_digest
from tests.activities.test_email import attempt
from tests.support.messaging import SlowRelay, smtp_server
from tests.support.temporal import make_settings

SLOW = 0.6  # seconds the slow mail server takes over each message
DECOY = CodeDelivery("nobody@example.com", "password_reset", 600)


async def _imitated_seconds(activities: EmailActivities) -> float:
    started = time.monotonic()
    sent = await attempt(activity_id="decoy").run(activities.imitate_code_email, DECOY)
    assert is_digest(sent.digest)  # shaped like a real send's answer, and the digest of no code
    return time.monotonic() - started


async def test_a_decoy_takes_as_long_as_the_real_code_emails_through_a_slow_server():
    # A decoy that waited a fixed 60-400 ms answered well before a real send through this
    # server: Send new code's timing told an unknown address from a known one.
    with smtp_server(SlowRelay(SLOW)) as port:
        activities = EmailActivities(make_settings(smtp_host="127.0.0.1", smtp_port=port))
        for number in range(3):
            real = CodeDelivery("kim@example.com", "password_reset", 600)
            await attempt(activity_id=str(number)).run(activities.send_code_email, real)
        for _ in range(5):
            assert await _imitated_seconds(activities) >= SLOW


async def test_a_decoy_fails_while_the_real_sends_fail_and_is_retried_as_they_are():
    activities = EmailActivities(make_settings(smtp_host="127.0.0.1", smtp_port=free_port()))  # nothing listens
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await attempt().run(activities.send_code_email, CodeDelivery("kim@example.com", "password_reset", 600))
    with pytest.raises(ApplicationError) as imitated:
        await attempt(activity_id="decoy").run(activities.imitate_code_email, DECOY)
    assert imitated.value.type == IMITATED_FAILURE and not imitated.value.non_retryable


async def test_an_attempt_ended_by_its_timeout_counts_as_failed_and_as_long_as_it_ran():
    attempts = RecentAttempts()

    async def stalled() -> None:
        with attempts.timed():
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await stalled()
    copied = attempts.pick()
    assert copied.failed and copied.seconds >= 0.2


def test_a_decoy_fails_from_the_first_failure_of_an_outage_and_goes_through_from_the_first_success_after():
    # Copying any recent attempt, a decoy at an outage's start still copied the successes
    # before it and answered at once, while a real send retried for 8 s.
    attempts = RecentAttempts()
    for _ in range(KEPT - 1):
        with attempts.timed():
            pass
    with pytest.raises(RuntimeError), attempts.timed():
        raise RuntimeError("the provider is down")
    assert all(attempts.pick().failed for _ in range(200))
    with attempts.timed():
        pass
    assert not any(attempts.pick().failed for _ in range(200))


def test_attempts_from_long_ago_are_not_copied(monkeypatch):
    attempts = RecentAttempts()
    with pytest.raises(RuntimeError), attempts.timed():
        raise RuntimeError("last night's outage")
    assert attempts.pick().failed
    later = time.monotonic() + send_imitation.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(send_imitation.time, "monotonic", lambda: later)
    guesses = [attempts.pick() for _ in range(50)]
    assert not any(guess.failed for guess in guesses)
    assert all(0.02 <= guess.seconds <= 0.2 for guess in guesses)

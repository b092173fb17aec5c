"""Sending what a person waits for — a code, an emailed link — through an outage of the mail or
SMS provider. The send is retried until what it carries would expire, never past it (a code
that arrives late still dies when it would have: its life counts from when it was asked for),
and the person is told at once that it is slow instead of being kept waiting on the screen.

A send's first attempt runs on the worker already running the flow, as a local activity
(``deliver``): when the provider answers at once, as it nearly always does, the person's press
is answered without a task handed to another poller and back (two trips through the server's
queues, most of a send's wait). If that attempt fails or takes longer than ``FIRST_ATTEMPT``,
the rest of the send is an ordinary activity, retried through an outage and by another worker.
Every attempt carries the same ``send`` name, so each derives the same code or link
(activities/attempts.this_send): a late first copy still works.

Flows that started before this was deployed keep the old three attempts (``RETRY_WITHIN_LIFE``)
and their sends as ordinary activities alone (``LOCAL_FIRST``), both ``workflow.patched``
markers: their histories replay as they ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.contracts import INVALID_DESTINATION

RETRY_WITHIN_LIFE = "sends-retry-within-life"
LOCAL_FIRST = "sends-local-first"
# How long a first, local attempt may hold the flow's workflow task (and the person's answer).
# A provider that answers at all answers well within it; the durable attempts take over after.
FIRST_ATTEMPT = timedelta(seconds=3)
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
D = TypeVar("D")
R = TypeVar("R")
# How long a person's press waits for its send before the screen says it is still going.
SLOW_AFTER = timedelta(seconds=8)
# Between attempts while the provider is down: soon enough to catch its return.
_LONGEST_PAUSE = timedelta(seconds=10)
_ATTEMPT = timedelta(seconds=30)
# A worker killed mid-send holds its attempt until the attempt times out: a third of the
# message's life leaves the retry (on another worker) time to deliver within it, even for a
# 30-second login code, which a 30-second attempt left no retry at all.
_ATTEMPTS_PER_LIFE = 3
_NOT_RETRIED = [INVALID_DESTINATION]

STILL_SENDING_CODE = ("We could not send the verification code yet. We are still trying, and it will "
                      "arrive as soon as it can be sent.")
STILL_SENDING_LINK = "We could not send the email yet. We are still trying, and it will arrive as soon as it can be sent."
# Verify code pressed while the first code is still being sent: nothing was compared.
CODE_ON_ITS_WAY = ("We are still confirming that your verification code was sent. Please wait a moment, "
                   "then click Verify code again.")


def retries_within_life() -> bool:
    return workflow.patched(RETRY_WITHIN_LIFE)


def send_options(life: timedelta) -> dict[str, Any]:
    """Activity options for a send whose message is good for ``life`` from now."""
    if not retries_within_life():
        return {"start_to_close_timeout": _ATTEMPT, "retry_policy": RetryPolicy(maximum_attempts=3, non_retryable_error_types=_NOT_RETRIED)}
    return {
        "start_to_close_timeout": min(_ATTEMPT, life / _ATTEMPTS_PER_LIFE),
        "schedule_to_close_timeout": life,
        "retry_policy": RetryPolicy(maximum_interval=_LONGEST_PAUSE, non_retryable_error_types=_NOT_RETRIED),
    }


def local_first() -> bool:
    return workflow.patched(LOCAL_FIRST)


def send_name() -> str:
    """A new send's name, shared by all its attempts ("" for flows from before local first sends)."""
    return f"send-{workflow.uuid4()}" if local_first() else ""


# What a failed send raises: an ordinary activity's failure wraps the activity's own error in an
# ActivityError; a local attempt that failed for good raises the activity's error itself.
SEND_FAILURES = (ActivityError, ApplicationError)


def refused(error: FailureError) -> bool:
    """The provider refused the address itself: no retry can help."""
    cause = error.cause if isinstance(error, ActivityError) else error
    return isinstance(cause, ApplicationError) and cause.type == INVALID_DESTINATION


class FirstAttempt:
    """Whether a send's first attempt, local, is still running. It holds the flow's workflow task
    (and with it the person's answer) until it is over, so a press starts counting SLOW_AFTER
    only then; a timer started beside it could not be told apart from one started after it
    when the history is replayed."""

    def __init__(self) -> None:
        self.running = local_first()

    def over(self) -> None:
        self.running = False


async def deliver(send: Callable[[Any, D], Awaitable[R]], delivery: D, life: timedelta, first: FirstAttempt) -> R:
    """Run ``send`` (an activity method) for ``delivery``, whose message is good for ``life``
    from now: first locally, then, unless that delivered it or the address was refused, as an
    ordinary activity retried within what is left of its life."""
    if not first.running:
        return await workflow.execute_activity_method(send, delivery, **send_options(life))
    try:
        return await workflow.execute_local_activity_method(
            send, delivery, start_to_close_timeout=FIRST_ATTEMPT, retry_policy=ONE_ATTEMPT
        )
    except FailureError as error:
        if is_cancelled_exception(error) or refused(error):
            raise
    finally:
        first.over()
    return await workflow.execute_activity_method(send, delivery, **send_options(life - FIRST_ATTEMPT))


async def done_soon(task: asyncio.Future, first: FirstAttempt | None = None) -> bool:
    """Wait for ``task``'s first attempt (if ``first``), then up to SLOW_AFTER for ``task``;
    False when it is still going (it goes on)."""
    if first is not None and first.running:
        await workflow.wait_condition(lambda: task.done() or not first.running)
    return await done_soon_or(task.done)


async def done_soon_or(condition: Callable[[], bool]) -> bool:
    """Wait up to SLOW_AFTER for ``condition``; False when it still does not hold."""
    if condition():
        return True
    try:
        await workflow.wait_condition(condition, timeout=SLOW_AFTER)
    except asyncio.TimeoutError:
        return False
    return True

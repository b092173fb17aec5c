"""Sending what a person waits for — a code, an emailed link — through an outage of the mail or
SMS provider. The send is retried until what it carries would expire, never past it (a code
that arrives late still dies when it would have: its life counts from when it was asked for),
and the person is told at once that it is slow instead of being kept waiting on the screen.

Flows that started before this was deployed keep the old three attempts (``RETRY_WITHIN_LIFE``
is a ``workflow.patched`` marker): their histories replay as they ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import INVALID_DESTINATION
    from workflows.versions import RETRY_WITHIN_LIFE, patched

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
    return patched(RETRY_WITHIN_LIFE)


def send_options(life: timedelta) -> dict[str, Any]:
    """Activity options for a send whose message is good for ``life`` from now."""
    if not retries_within_life():
        return {"start_to_close_timeout": _ATTEMPT, "retry_policy": RetryPolicy(maximum_attempts=3, non_retryable_error_types=_NOT_RETRIED)}
    return {
        "start_to_close_timeout": min(_ATTEMPT, life / _ATTEMPTS_PER_LIFE),
        "schedule_to_close_timeout": life,
        "retry_policy": RetryPolicy(maximum_interval=_LONGEST_PAUSE, non_retryable_error_types=_NOT_RETRIED),
    }


async def done_soon(task: asyncio.Future) -> bool:
    """Wait up to SLOW_AFTER for ``task``; False when it is still going (it goes on)."""
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

"""Sending what a person waits for — a code, an emailed link — through an outage of the mail or
SMS provider. The send is retried until what it carries would expire, never past it (a code
that arrives late still dies when it would have: its life counts from when it was asked for),
and the person is told at once that it is slow instead of being kept waiting on the screen.

A send that answers a person's press (Send, Send New Code, Call Me, the link after NEXT) makes
its first attempt in the worker that holds the flow, as a local activity: its answer is back
within the same workflow task, where an activity's completion costs a round trip through
Temporal and one more workflow task before the press is answered. The attempt is short; a send
the provider has not taken by then (or refused for now) goes on as an activity, retried as
before within what is left of the message's life. Every attempt of one send carries the same
code or token (``send_id``, activities/attempts.py), so a copy that the local attempt delivered
after all is still good.

A send no press asked for (a password reset's first code, the link of a registration reset, of
an administrator's reset, of a restarted registration: all at a run's start) stays an activity
from its first attempt. When a query comes while a workflow task runs a local activity,
temporalio 1.35's core sometimes records the activity in that task and runs the code after it
in the next one, where replay runs it in the same task. In a run's first task this happened to
6 to 10 of 20 local first codes of password resets. Two things keep a press's send replayable
(tests/workflows/test_deliveries.py): every change is decided at the run's start
(workflows/versions.py), and the timer after which the screen says the send is slow starts only
once the local attempt is over (``past_this_worker``). Started beside it, replay of a split task
put the two in another order, and the flow could not be replayed.

Flows that started before each change was deployed keep their old path (``RETRY_WITHIN_LIFE``:
the old three attempts; ``TRY_LOCALLY_FIRST``: the send as an activity from its first attempt):
their histories replay as they ran.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.contracts import INVALID_DESTINATION, CodeDelivery, LinkDelivery, Sent
    from workflows.versions import RETRY_WITHIN_LIFE, TRY_LOCALLY_FIRST, patched

# The local attempt's limit: a relay nearby takes milliseconds, a busy one under a second. It
# holds the flow's workflow task (and the press's answer), so it is kept well short of the 8 s
# after which the screen says the send is slow: an outage costs the press this much more.
_LOCAL_ATTEMPT = timedelta(seconds=2)
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


Delivery = TypeVar("Delivery", CodeDelivery, LinkDelivery)


def tries_here(answers_a_press: bool) -> bool:
    """Whether a send makes its first attempt in this worker: one that ``answers_a_press`` (the
    caller knows it runs in the task of a person's action, not in the run's first), in a run
    that has the change."""
    return answers_a_press and patched(TRY_LOCALLY_FIRST)


def start_delivery(
    sender: Callable[[Any, Delivery], Any], delivery: Delivery, life: timedelta, *, here: bool,
    tried_here: asyncio.Event | None = None,
) -> asyncio.Future[Sent]:
    """Start sending ``delivery``, a message good for ``life`` from now, by the activity
    ``sender``, retried within ``life``; first in this worker when ``here`` (``tries_here``).
    ``tried_here`` is set once that attempt is over (at once when there is none)."""
    tried_here = tried_here or asyncio.Event()
    if not here:
        tried_here.set()
        return workflow.start_activity_method(sender, delivery, **send_options(life))
    delivery = dataclasses.replace(delivery, send_id=str(workflow.uuid4()))
    limit = min(_LOCAL_ATTEMPT, life / _ATTEMPTS_PER_LIFE)
    local = workflow.start_local_activity_method(
        sender, delivery, start_to_close_timeout=limit, retry_policy=RetryPolicy(maximum_attempts=1)
    )
    return asyncio.ensure_future(_or_as_activity(local, tried_here, sender, delivery, life - limit))


async def _or_as_activity(
    local: asyncio.Future[Sent], tried_here: asyncio.Event, sender: Any, delivery: Any, rest_of_life: timedelta
) -> Sent:
    try:
        return await local
    except FailureError as error:
        if refused(error) or is_cancelled_exception(error):
            raise
    finally:
        tried_here.set()
    return await workflow.execute_activity_method(sender, delivery, **send_options(rest_of_life))


async def past_this_worker(tried_here: asyncio.Event) -> None:
    """Until a send's attempt in this worker is over (``tried_here``). A caller starts its timer
    for a slow send only then: started beside the attempt, it was ordered otherwise on replay
    of a task a query had split, and the flow could not be replayed."""
    await workflow.wait_condition(tried_here.is_set)


def refused(error: FailureError) -> bool:
    """Whether a send failed because the provider refused the address itself. An activity's
    failure comes as an ActivityError around the reason; a local attempt's that ran to its end
    comes as the reason itself (one that timed out, as an ActivityError)."""
    reason = error.cause if isinstance(error, ActivityError) else error
    return isinstance(reason, ApplicationError) and reason.type in _NOT_RETRIED


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

"""A flow's query asked again when its answer was lost (the SDK drops a query that arrives as
the flow's completed run leaves the worker's cache), and only then: a refusal is not retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.service import RPCError, RPCStatusCode

from api.flow_queries import TRIES, query_flow


def timed_out() -> RPCError:
    # What the SDK's core raises when a query's own deadline passes.
    return RPCError("Timeout expired", RPCStatusCode.CANCELLED, b"")


class Handle:
    """A workflow handle whose query answers as scripted, try by try."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.timeouts: list[timedelta] = []

    async def query(self, name: str, *, args, result_type, rpc_timeout: timedelta):
        self.timeouts.append(rpc_timeout)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


async def test_a_lost_query_is_asked_again_and_answered():
    handle = Handle(timed_out(), "login")
    assert await query_flow(handle, "view", [], str) == "login"
    assert handle.timeouts == list(TRIES[:2])


async def test_a_flow_no_worker_answers_for_times_out_after_the_last_try():
    handle = Handle(*(timed_out() for _ in TRIES))
    with pytest.raises(RPCError) as raised:
        await query_flow(handle, "view", [], str)
    assert raised.value.status == RPCStatusCode.CANCELLED
    assert handle.timeouts == list(TRIES)


@pytest.mark.parametrize("status", [RPCStatusCode.NOT_FOUND, RPCStatusCode.UNAVAILABLE, RPCStatusCode.INVALID_ARGUMENT])
async def test_an_answer_that_is_not_a_timeout_is_not_asked_again(status):
    handle = Handle(RPCError("no", status, b""), "never")
    with pytest.raises(RPCError):
        await query_flow(handle, "view", [], str)
    assert len(handle.timeouts) == 1

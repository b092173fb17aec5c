"""A query to a flow, asked again when its answer was lost.

The SDK's worker drops a query that arrives while the run it asks is being evicted from its
cache (the flow has just completed: "There were leftover buffered tasks when evicting run"),
and the server then waits for an answer that never comes. Nothing about the flow is wrong: the
same query asked again reaches the closed flow, which a worker replays to answer. So a query
that has not answered in a short while is asked again, each time waiting longer — a flow
answers in milliseconds — and only when the last try times out does the caller learn that no
worker is answering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")
# How a try that timed out is reported: the SDK's core says CANCELLED "Timeout expired" for its
# own deadline; a server that gave up says DEADLINE_EXCEEDED.
_TIMED_OUT = (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED)
# Together about the 10 s a query was once given, the first short enough that a lost query
# costs a person two seconds.
TRIES = (timedelta(seconds=2), timedelta(seconds=3), timedelta(seconds=5))


async def query_flow(handle: WorkflowHandle[Any, Any], name: str, args: Sequence[Any], result_type: type[T]) -> T:
    """The flow's answer to query ``name``; RPCError as Temporal raises it, the last try's
    timeout when no try got an answer."""
    for attempt, timeout in enumerate(TRIES, start=1):
        try:
            return await handle.query(name, args=args, result_type=result_type, rpc_timeout=timeout)
        except RPCError as exc:
            if exc.status not in _TIMED_OUT or attempt == len(TRIES):
                raise
    raise AssertionError("unreachable: the last try returns or raises")

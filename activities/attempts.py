"""Which scheduled activity (or send) an attempt belongs to, and how long it may take. Every
attempt of one scheduled activity — the first, and its retries after a crash or an outage — has
the same name, as has every attempt of one send (tried in the flow's worker first, then as an
activity: workflows/deliveries.py). A send derives its code or link token from it
(domain/digests.code_for_send), so the code is the same whether the first attempt delivered its
message before its worker died or not: delivery is at least once, and a second copy never voids
the first. A database write
keys its audit row with it, so a retry of a write that had committed records nothing twice.
The run is part of the name: a flow restarted by support (a new run under the same id) never
repeats an old code."""

from __future__ import annotations

from temporalio import activity


def this_activity() -> str:
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"


def this_send(send_id: str) -> str:
    """The name every attempt of one send shares, from which its code or token is derived: the
    flow's ``send_id`` (a send tried in the flow's worker first, then as an activity) or, when
    the flow named none, this activity (whose retries share its id)."""
    if not send_id:
        return this_activity()
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}/{send_id}"


def attempt_timeout(ceiling: float) -> float:
    """Seconds a client call of this attempt may take: no longer than Temporal waits for the
    attempt, after which it retries the send elsewhere and this one only delivers late."""
    limit = activity.info().start_to_close_timeout
    return min(ceiling, limit.total_seconds()) if limit else ceiling

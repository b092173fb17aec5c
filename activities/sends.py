"""Which send an activity attempt belongs to. Every attempt of one scheduled send has the same
name, so the code or link token derived from it (domain/digests.code_for_send) is the same
whether the first attempt delivered its message before its worker died or not: delivery is
at least once, and a second copy never voids the first. The run is part of the name, so a
flow restarted by support (a new run under the same id) never repeats an old code."""

from __future__ import annotations

from temporalio import activity


def this_send() -> str:
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"


def attempt_timeout(ceiling: float) -> float:
    """Seconds a client call of this attempt may take: no longer than Temporal waits for the
    attempt, after which it retries the send elsewhere and this one only delivers late."""
    limit = activity.info().start_to_close_timeout
    return min(ceiling, limit.total_seconds()) if limit else ceiling

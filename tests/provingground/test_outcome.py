"""The at-least-once rule's count of retried sends, read from histories: ordinary attempts after
the first, an ordinary activity taking over from a local first attempt, and a local first
attempt run again after its workflow task was lost with its worker."""

from __future__ import annotations

import json

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent

from operations.flows import LOCAL_ACTIVITY_MARKER
from provingground.outcome import _retried_in


def _event(event_id: int, kind: EventType.ValueType, **attributes) -> HistoryEvent:
    return HistoryEvent(event_id=event_id, event_type=kind, **attributes)


def _local(event_id: int, activity: str, *, failed: bool = False) -> HistoryEvent:
    note = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"activity_type": activity}).encode())
    marker = {"marker_name": LOCAL_ACTIVITY_MARKER, "details": {"data": Payloads(payloads=[note])}}
    if failed:
        marker["failure"] = Failure(message="timed out")
    return _event(event_id, EventType.EVENT_TYPE_MARKER_RECORDED, marker_recorded_event_attributes=marker)


def _task(event_id: int, kind: EventType.ValueType) -> HistoryEvent:
    return _event(event_id, kind)


def _scheduled(event_id: int, activity: str) -> HistoryEvent:
    return _event(event_id, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
                  activity_task_scheduled_event_attributes={"activity_type": {"name": activity}})


def _started(event_id: int, scheduled: int, attempt: int) -> HistoryEvent:
    return _event(event_id, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
                  activity_task_started_event_attributes={"scheduled_event_id": scheduled, "attempt": attempt})


async def _count(events: list[HistoryEvent]) -> int:
    async def history():
        for event in events:
            yield event
    return await _retried_in(history())


COMPLETED = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
TIMED_OUT = EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT


async def test_a_first_attempt_that_delivered_at_once_is_no_retry():
    assert await _count([_task(1, COMPLETED), _local(2, "send_code_email"), _local(3, "record_audit")]) == 0


async def test_a_first_attempt_run_again_after_its_workflow_task_was_lost_is_a_retry():
    events = [_task(1, TIMED_OUT), _task(2, COMPLETED), _local(3, "send_code_email"),
              _task(4, COMPLETED), _local(5, "send_link_email")]
    assert await _count(events) == 1  # the later send ran in a task that was not lost


async def test_a_lost_task_that_ran_no_send_retries_nothing():
    events = [_task(1, TIMED_OUT), _task(2, COMPLETED), _local(3, "create_pending_account")]
    assert await _count(events) == 0


async def test_an_ordinary_activity_taking_over_from_a_failed_first_attempt_is_a_retry_and_so_are_its_own():
    events = [_task(1, COMPLETED), _local(2, "send_code_sms", failed=True), _scheduled(3, "send_code_sms"),
              _started(4, 3, attempt=3), _scheduled(5, "record_audit"), _started(6, 5, attempt=2)]
    assert await _count(events) == 1 + 2

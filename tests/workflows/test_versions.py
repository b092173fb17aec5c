"""A run decides its code changes at its start (workflows/versions.py): its history replays even
when a local step's workflow task was split by a query, and runs from before replay as they ran
(tests/replay)."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType

from tests.workflows.harness import settled_history, while_the_screen_is_read
from tests.workflows.test_registration import start, submit
from workflows.versions import EMAIL_LOGIN_ENDS_VERIFIED

# Before, 8 of 60 registrations failed to replay (1 to 4 in each 20): thirty that all replay
# would be luck of about one in seventy at that rate.
REGISTRATIONS = 30


async def test_a_registration_whose_screen_is_read_during_next_replays(flows):
    # NEXT saves the account in a local step, then the link's send meets a change (the send's
    # retries). A query while that task runs can split it after the step; the change used to be
    # decided there, and replay, which runs it in the first half, answered otherwise.
    for _ in range(REGISTRATIONS):
        handle = await start(flows)
        await while_the_screen_is_read(flows, handle, submit(handle))
        await flows.link_taken_in(handle)
        assert await flows.replay_failure(await settled_history(handle)) is None


async def test_a_run_records_its_changes_markers_in_its_first_task(flows):
    handle = await start(flows)
    await submit(handle)
    await flows.link_taken_in(handle)
    history = await settled_history(handle)
    # Its sends retry within their life, its steps are local, its sends try locally first...:
    # one marker, the newest generation's, stands for all of those changes.
    assert _changes_met(history) == [EMAIL_LOGIN_ENDS_VERIFIED]
    # Among the commands of the first workflow task: after it completed, before the next began.
    completed, started = (
        [e.event_id for e in history.events if e.event_type == kind]
        for kind in (EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    )
    assert all(completed[0] < marker.event_id < started[1] for marker in _change_markers(history))


def _change_markers(history) -> list:
    """The ``workflow.patched`` markers a run recorded, in order."""
    return [event for event in history.events if event.marker_recorded_event_attributes.marker_name == "core_patch"]


def _changes_met(history) -> list[str]:
    """The changes a run recorded it met, in order."""
    return [
        json.loads(marker.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for marker in _change_markers(history)
    ]

"""A flow's short database steps run as local activities (workflows/database_steps.py): no
activity task of their own in history, their results recorded encrypted in a marker. Flows
from before go on with ordinary activities: tests/replay replays histories of both kinds."""

from __future__ import annotations

import json

from engine.codec import ENCODING
from operations.flows import LOCAL_ACTIVITY_MARKER
from tests.workflows.harness import scheduled_activities
from tests.workflows.test_registration import start, submit


async def test_database_steps_are_markers_with_encrypted_results_not_activity_tasks(flows):
    handle = await start(flows)
    assert (await submit(handle)).step == "check_email"
    await flows.link_taken_in(handle)
    assert flows.accounts.args("create_pending_account")
    assert await scheduled_activities(handle) == ["local", "send_link_email"]
    history = await handle.fetch_history()
    markers = [
        e.marker_recorded_event_attributes for e in history.events
        if e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
    ]
    assert markers
    for marker in markers:
        # Temporal's own note of which step it was (its type, ids, attempt, time) is in clear;
        # what the step answered is encrypted, as any payload of ours.
        note = json.loads(marker.details["data"].payloads[0].data)
        assert set(note) <= {
            "seq", "attempt", "activity_id", "activity_type", "complete_time", "backoff", "original_schedule_time",
            "activation_index",
        }
        assert [p.metadata["encoding"] for p in marker.details["result"].payloads] == [ENCODING]

"""A flow's short database steps run as local activities (workflows/database_steps.py): no
activity task of their own in history, their results recorded encrypted in a marker. Flows
from before go on with ordinary activities: tests/replay replays histories of both kinds. A
restarted run's first step is an ordinary activity, so its history replays."""

from __future__ import annotations

import json
import uuid

import pytest
from temporalio.client import WorkflowHandle

from activities.contracts import AccountProgress
from engine.codec import ENCODING
from operations.flows import LOCAL_ACTIVITY_MARKER
from tests.workflows.fakes import NEW_ACCOUNT, PROVIDER_ID, PROVIDER_NPI
from tests.workflows.harness import scheduled_activities, settled_history
from tests.workflows.test_registration import start, submit
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
from workflows.flow import RESTARTED_FROM
from workflows.registration import ProviderRegistrationWorkflow, RegistrationStart

ACCOUNT = "account-restarted"


async def test_database_steps_are_markers_with_encrypted_results_not_activity_tasks(flows):
    handle = await start(flows)
    assert (await submit(handle)).step == "check_email"
    await flows.link_taken_in(handle)
    assert flows.accounts.args("create_pending_account")
    assert await scheduled_activities(handle) == ["local create_pending_account", "local send_link_email"]
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


# With a local first step, 2 to 4 restarts in 10 failed to replay: ten replaying by luck is a
# few in a hundred for one flow, under one in a thousand for both.
RESTARTS = 10


@pytest.mark.parametrize("flow", ["enrollment", "registration"])
async def test_a_restarted_runs_first_step_leaves_a_history_that_replays(flows, flow):
    # Support's restart: a new run that first reads what the account holds, before the person
    # does anything. The code after that step used to meet a change there (the idle clock's;
    # decided at the run's start since workflows/versions.py). The screen is read meanwhile, as
    # the person's browser does: that query is what splits the task.
    for _ in range(RESTARTS):
        handle = await _restarted(flows, flow)
        await flows.until(handle, SHOWN[flow])
        assert await flows.replay_failure(await settled_history(handle)) is None
        assert await scheduled_activities(handle) == ASKED_FOR[flow]  # an activity first, not "local"


# What the screen shows once the first step has answered.
SHOWN = {"enrollment": lambda view: bool(view.email_on_record), "registration": lambda view: view.step == "check_email"}
# The first step, then (a registration that found its account) the fresh link.
ASKED_FOR = {"enrollment": ["account_progress"], "registration": ["find_registration_account", "send_link_email"]}


async def _restarted(flows, flow: str) -> WorkflowHandle:
    progress = AccountProgress(ACCOUNT, "pending", NEW_ACCOUNT.email, "Pat", email_verified=True, has_password=True)
    flows.accounts.saved[ACCOUNT] = progress
    flow_id = f"{flow}-{uuid.uuid4()}"
    memo = {RESTARTED_FROM: "an-earlier-run"}
    if flow == "enrollment":
        start = EnrollmentStart(ACCOUNT, "existing_user", NEW_ACCOUNT.email)
        return await flows.client.start_workflow(MfaEnrollmentWorkflow.run, start, id=flow_id, task_queue=flows.task_queue, memo=memo)
    flows.accounts.created_by_flow[flow_id] = ACCOUNT
    start = RegistrationStart(provider_id=PROVIDER_ID, provider_npi=PROVIDER_NPI, provider_name="Demo Family Practice")
    return await flows.client.start_workflow(ProviderRegistrationWorkflow.run, start, id=flow_id, task_queue=flows.task_queue, memo=memo)

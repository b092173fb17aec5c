"""Where a send's first attempt runs (workflows/deliveries.py): one that answers a press tries
the flow's worker first, as a local activity, and its history replays even when the screen is
read while it runs; one in a run's first workflow task is an activity from its first attempt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from temporalio.client import WorkflowHandle

from tests.workflows import test_enrollment, test_login, test_password_reset, test_registration, test_registration_reset
from tests.workflows.harness import scheduled_activities, settled_history, while_the_screen_is_read

# With the slow-send timer started beside the local attempt, ten login codes sent while the
# screen was read held one that failed replay in each of 4 runs; a local first code of a
# password reset, in its first task, split in 6 to 10 of 20.
PRESSES = 10


async def _login_code(flows) -> WorkflowHandle:
    handle = await test_login.start(flows, "email")
    await while_the_screen_is_read(flows, handle, test_login.act(handle, "send_email_code"))
    return handle


async def _enrollment_code(flows) -> WorkflowHandle:
    handle = await test_enrollment.start(flows)
    await test_enrollment.act(handle, "choose_method", "email")
    await while_the_screen_is_read(flows, handle, test_enrollment.act(handle, "submit_email", test_enrollment.EMAIL))
    return handle


async def _registration_link(flows) -> WorkflowHandle:
    handle = await test_registration.start(flows)
    await while_the_screen_is_read(flows, handle, test_registration.submit(handle))
    await flows.link_taken_in(handle)
    return handle


PRESSED: dict[str, tuple[Callable[..., Awaitable[WorkflowHandle]], str]] = {
    "login code": (_login_code, "send_code_email"),
    "enrollment code": (_enrollment_code, "send_code_email"),
    "registration link": (_registration_link, "send_link_email"),
}


@pytest.mark.parametrize("send", PRESSED)
async def test_a_presss_send_tries_the_flows_worker_first_and_its_history_replays(flows, send):
    pressed, activity = PRESSED[send]
    for _ in range(PRESSES):
        handle = await pressed(flows)
        assert f"local {activity}" in await scheduled_activities(handle)
        assert await flows.replay_failure(await settled_history(handle)) is None


# Flows whose first task sends: each start returns once its send is out.
STARTED: dict[str, tuple[Callable[..., Awaitable[WorkflowHandle]], str]] = {
    "password reset's first code": (test_password_reset.start, "send_code_email"),  # reads the screen meanwhile
    "registration reset's link": (lambda flows: test_registration_reset.start(flows, "registration_error"), "send_link_email"),
}


@pytest.mark.parametrize("send", STARTED)
async def test_a_send_in_a_runs_first_task_is_an_activity_from_its_first_attempt(flows, send):
    started, activity = STARTED[send]
    handle = await started(flows)
    assert await scheduled_activities(handle) == [activity]
    assert await flows.replay_failure(await settled_history(handle)) is None

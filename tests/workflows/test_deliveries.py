"""A send's first attempt runs locally and the rest durably (workflows/deliveries.py): what the
history holds in each case, and that every attempt of one send carries one code. Outages, lost
workers and sends that outlast their code: tests/workflows/test_code_challenge.py."""

from __future__ import annotations

from datetime import timedelta

from tests.workflows.fakes import CODE
from tests.workflows.harness import local_activities, scheduled_activities
from tests.workflows.test_code_challenge import send, verify
from workflows.code_challenge import SEND_FAILED
from workflows.code_step import CODE_SENT


async def test_a_send_the_provider_answers_at_once_is_one_local_activity(flow_env):
    start, senders, env = flow_env
    handle = await start()
    assert (await send(handle)).notice == CODE_SENT
    assert await scheduled_activities(handle) == await local_activities(handle) == ["send_code_email"]
    assert (await verify(handle, senders, CODE)).status == "completed"


async def test_a_first_attempt_that_outlasts_its_limit_is_carried_on_durably_as_the_same_send(flow_env):
    start, senders, env = flow_env
    senders.slow_first_attempt = True
    handle = await start(ttl_seconds=600)
    assert (await send(handle)).notice == CODE_SENT
    assert await scheduled_activities(handle) == ["send_code_email", "send_code_email"]
    assert await local_activities(handle) == ["send_code_email"]
    # Both copies name one send, so the late first one carries the code that works.
    first, retry = senders.sent
    assert first.send == retry.send and first.send.startswith("send-")
    assert (await verify(handle, senders, CODE)).status == "completed"


async def test_a_refused_address_is_not_tried_again_durably(flow_env):
    start, senders, env = flow_env
    senders.address_refused = True
    handle = await start(ttl_seconds=600)
    assert (await send(handle)).errors == {"code": SEND_FAILED}
    assert await scheduled_activities(handle) == await local_activities(handle) == ["send_code_email"]


async def test_two_sends_are_two_names(flow_env):
    start, senders, env = flow_env
    handle = await start(cooldown_seconds=0)
    await send(handle)
    await env.fast_forward(handle, timedelta(seconds=1))
    await send(handle)
    assert len({delivery.send for delivery in senders.sent}) == 2

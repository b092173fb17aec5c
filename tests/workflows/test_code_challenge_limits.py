"""The code challenge's limits in the time-skipping environment: a code is accepted at 29
seconds and refused at 31, five wrong tries spend it, a new code waits for the cooldown and
stops at the cap, a malformed code is refused before history, and a verified code cannot be
used again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from tests.workflows.fakes import CODE
from tests.workflows.harness import presses_accepted
from tests.workflows.test_code_challenge import send, verify
from workflows.flow import FlowView


async def test_code_is_accepted_at_29_seconds(flow_env):
    start, senders, env = flow_env
    handle = await start(ttl_seconds=30)
    view = await send(handle)
    assert view.notice.startswith("Verification code has been sent")
    assert view.code.expires_at is not None
    await env.fast_forward(handle, timedelta(seconds=29))
    view = await verify(handle, senders, CODE)
    assert view.status == "completed" and view.code.verified
    assert await handle.result() == "verified"


async def test_code_is_refused_at_31_seconds(flow_env):
    start, senders, env = flow_env
    handle = await start(ttl_seconds=30)
    await send(handle)
    await env.fast_forward(handle, timedelta(seconds=31))
    view = await verify(handle, senders, CODE)
    assert view.errors == {"code": "The verification code has expired. Please click Send new code."}
    assert view.status == "running"


async def test_five_wrong_tries_spend_the_code(flow_env):
    start, senders, env = flow_env
    handle = await start()
    await send(handle)
    for attempt in range(1, 6):
        view = await verify(handle, senders, "000000")
        assert view.code.tries_left == 5 - attempt
    assert view.errors["code"].startswith("Too many incorrect attempts")
    # Even the right code no longer works: only a new code does.
    view = await verify(handle, senders, CODE)
    assert view.errors["code"].startswith("Too many incorrect attempts")
    await env.fast_forward(handle, timedelta(seconds=21))
    await send(handle)
    view = await verify(handle, senders, CODE)
    assert view.status == "completed"


async def test_resend_waits_for_the_cooldown(flow_env):
    start, senders, env = flow_env
    handle = await start(cooldown_seconds=20)
    await send(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)
    assert "before requesting a new code" in refused.value.cause.message
    view = await handle.query("view", result_type=FlowView)
    assert view.code.can_resend is False
    await env.fast_forward(handle, timedelta(seconds=21))
    view = await send(handle)
    assert view.code.sends_left == 8
    assert len(senders.sent) == 2


async def test_resend_cap(flow_env):
    start, senders, env = flow_env
    handle = await start(cooldown_seconds=1, max_sends=3)
    for _ in range(3):
        await send(handle)
        await env.fast_forward(handle, timedelta(seconds=2))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)
    assert "Too many codes" in refused.value.cause.message
    assert len(senders.sent) == 3


async def test_malformed_code_is_rejected_before_history(flow_env):
    start, senders, env = flow_env
    handle = await start()
    await send(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("verify_code", "123456", result_type=FlowView)
    assert refused.value.cause.message == "Enter the 6-digit code."
    assert await presses_accepted(handle) == ["send_code"]


async def test_a_verified_code_cannot_be_replayed(flow_env):
    start, senders, env = flow_env
    handle = await start()
    await send(handle)
    await verify(handle, senders, CODE)
    with pytest.raises(Exception):
        await verify(handle, senders, CODE)

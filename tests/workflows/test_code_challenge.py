"""The code challenge in the time-skipping environment: voice, the search attributes, the decoy
that delivers nothing, the successor that keeps the limits across channels, and sends that are
slow, fail, or outlast the code they carry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage

from domain import digests
from tests.workflows.fakes import CODE, VOICE_TOKEN
from tests.workflows.harness import scheduled_activities, without_clock
from workflows.code_challenge import MESSAGES, SEND_FAILED, SEND_TIMED_OUT, Outcome
from workflows.code_step import CODE_SENT, Keypress
from workflows.deliveries import CODE_ON_ITS_WAY, STILL_SENDING_CODE
from workflows.flow import FlowView

PHONE = "+12025550143"


async def view_when(handle, condition, within: float = 30) -> FlowView:
    """The flow's view once ``condition`` holds (what finishes in the background, in real time)."""
    async with asyncio.timeout(within):
        while not condition(view := await handle.query("view", result_type=FlowView)):
            await asyncio.sleep(0.1)
    return view


async def send(handle) -> FlowView:
    return await handle.execute_update("send_code", result_type=FlowView)


async def pressed_while_it_cannot_send(handle, env, first_attempt_made) -> FlowView:
    """Send code pressed while its first attempt cannot finish (the provider is down, or its
    worker died): the answer, which comes 8 s later while the send goes on."""
    sending = await handle.start_update("send_code", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=FlowView)
    await first_attempt_made
    await env.fast_forward(handle, timedelta(seconds=9))
    return await sending.result()


async def verify(handle, senders, code: str) -> FlowView:
    return await handle.execute_update(
        "verify_code", digests.code_digest(senders.code_key, handle.id, code), result_type=FlowView
    )


async def test_a_call_speaks_a_code_to_type_and_a_key_press_approves_nothing(flow_env):
    start, senders, env = flow_env
    handle = await start(channel="voice", destination="+12025550143")
    view = await send(handle)
    assert view.notice == "We are calling you now. Answer the call and enter the 6-digit code you hear below."
    await handle.signal("phone_keypress", Keypress(digests.token_digest(senders.voice_key, VOICE_TOKEN), "#"))
    assert (await handle.query("view", result_type=FlowView)).status == "running"
    assert (await verify(handle, senders, CODE)).code.verified
    assert await handle.result() == "verified"


async def test_a_press_pound_call_placed_by_an_older_worker_still_completes_on_the_key(flow_env):
    start, senders, env = flow_env
    senders.press_pound_calls = True
    handle = await start(channel="voice", destination="+12025550143")
    view = await send(handle)
    assert view.notice.startswith("We are calling you now")
    wrong = Keypress(token_digest=digests.token_digest(senders.voice_key, "someone-else"), digits="#")
    await handle.signal("phone_keypress", wrong)
    right_but_no_pound = Keypress(token_digest=digests.token_digest(senders.voice_key, VOICE_TOKEN), digits="1")
    await handle.signal("phone_keypress", right_but_no_pound)
    view = await handle.query("view", result_type=FlowView)
    assert view.status == "running"
    await handle.signal("phone_keypress", Keypress(digests.token_digest(senders.voice_key, VOICE_TOKEN), "#"))
    assert await handle.result() == "verified"


async def test_search_attributes_name_process_and_step(flow_env):
    start, senders, env = flow_env
    handle = await start()
    await send(handle)
    description = await handle.describe()
    attrs = {k: v for k, v in description.search_attributes.items()}
    assert attrs["AtrezzoProcess"] == ["challenge"]
    assert attrs["AtrezzoStep"] == ["code"]
    assert attrs["AtrezzoAccountId"] == ["acct-test"]


async def move_to(handle, channel: str, destination: str = PHONE) -> FlowView:
    return await handle.execute_update("move_to", args=[channel, destination], result_type=FlowView)


async def test_a_decoy_delivers_nothing_yet_answers_like_a_real_challenge(flow_env):
    start, senders, env = flow_env
    real, decoy = await start(), await start(deliver=False)
    assert without_clock(await send(decoy)) == without_clock(await send(real))
    assert len(senders.sent) == 1 and await scheduled_activities(decoy) == ["local imitate_code_email"]
    # The one code a decoy "sent" is known to nobody: the fakes' code is as wrong as any other.
    wrong = await verify(real, senders, "000000")
    refused = await verify(decoy, senders, CODE)
    assert refused.errors == wrong.errors == {"code": MESSAGES[Outcome.WRONG]}
    assert without_clock(refused) == without_clock(wrong)


async def test_a_decoy_keeps_the_resend_limits(flow_env):
    start, senders, env = flow_env
    handle = await start(deliver=False, cooldown_seconds=1, max_sends=2)
    for _ in range(2):
        assert (await send(handle)).notice == CODE_SENT
        await env.fast_forward(handle, timedelta(seconds=2))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)
    assert "Too many codes" in refused.value.cause.message
    assert senders.sent == []


async def test_a_decoy_locks_after_five_wrong_tries(flow_env):
    start, senders, env = flow_env
    handle = await start(deliver=False)
    await send(handle)
    for _ in range(5):
        view = await verify(handle, senders, CODE)
    assert view.errors == {"code": MESSAGES[Outcome.LOCKED]}
    assert view.code.tries_left == 0


async def test_a_successor_inherits_the_cooldown_and_send_count_but_not_the_code(flow_env):
    start, senders, env = flow_env
    handle = await start(channel="sms", destination="+12025550100")
    await send(handle)
    view = await move_to(handle, "sms")
    assert (view.code.channel, view.code.sent, view.code.sends_left, view.code.can_resend) == ("sms", False, 9, False)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)
    assert "before requesting a new code" in refused.value.cause.message
    # The code sent to the first number does not work for the second.
    assert (await verify(handle, senders, CODE)).errors == {"code": MESSAGES[Outcome.NOT_SENT]}
    await env.fast_forward(handle, timedelta(seconds=21))
    await send(handle)
    assert [d.destination for d in senders.sent] == ["+12025550100", PHONE]
    assert (await verify(handle, senders, CODE)).status == "completed"


async def test_a_successor_counts_toward_the_same_cap(flow_env):
    start, senders, env = flow_env
    handle = await start(channel="sms", destination=PHONE, cooldown_seconds=1, max_sends=2)
    await send(handle)
    await env.fast_forward(handle, timedelta(seconds=2))
    await move_to(handle, "voice")
    await send(handle)
    await env.fast_forward(handle, timedelta(seconds=2))
    await move_to(handle, "sms")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)
    assert "Too many codes" in refused.value.cause.message
    assert len(senders.sent) == 2


async def test_the_successor_of_a_decoy_is_a_decoy(flow_env):
    start, senders, env = flow_env
    handle = await start(deliver=False)
    await send(handle)
    await env.fast_forward(handle, timedelta(seconds=21))
    await move_to(handle, "voice")
    assert (await send(handle)).notice.startswith("We are calling you now")
    # Only password resets make decoys, and only for an email address: each copies the email's sends.
    assert senders.sent == [] and await scheduled_activities(handle) == ["local imitate_code_email"] * 2


async def test_a_slow_send_does_not_lengthen_the_life_of_the_code_it_may_already_have_delivered(flow_env):
    # A send whose worker died after handing the message over is retried, and the retry repeats
    # the same code (activities/attempts.py): the copy out since the first attempt must still
    # expire 30 seconds after it was asked for, not 30 seconds after the retry finished.
    start, senders, env = flow_env
    senders.hold_sending = asyncio.Event()
    handle = await start(ttl_seconds=30)
    sending = await handle.start_update("send_code", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=FlowView)
    await senders.sending.wait()
    await env.fast_forward(handle, timedelta(seconds=20))
    assert (await sending.result()).notice == STILL_SENDING_CODE  # the press was answered at 8 s
    senders.hold_sending.set()
    assert (await view_when(handle, lambda v: v.code.sent)).notice == CODE_SENT
    await env.fast_forward(handle, timedelta(seconds=11))
    assert (await verify(handle, senders, CODE)).errors == {"code": MESSAGES[Outcome.EXPIRED]}


async def test_a_send_through_a_provider_outage_answers_at_once_and_delivers_once_it_is_back(flow_env):
    start, senders, env = flow_env
    senders.provider_down = True
    handle = await start(ttl_seconds=600)
    answer = await pressed_while_it_cannot_send(handle, env, view_when(handle, lambda v: senders.refused >= 1))
    assert answer.notice == STILL_SENDING_CODE and not answer.code.sent and not answer.errors
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send(handle)  # Send new code while the first is still trying: one message, not two
    assert "already on its way" in refused.value.cause.message
    senders.provider_down = False
    sent = await view_when(handle, lambda v: v.code.sent)
    assert sent.notice == CODE_SENT and len(senders.sent) == 1
    assert (await verify(handle, senders, CODE)).status == "completed"


async def test_a_send_that_outlasts_the_code_stops_at_its_expiry_and_says_so(flow_env):
    start, senders, env = flow_env
    senders.provider_down = True
    handle = await start(ttl_seconds=60)
    answer = await pressed_while_it_cannot_send(handle, env, view_when(handle, lambda v: senders.refused >= 1))
    assert answer.notice == STILL_SENDING_CODE
    # Verify code pressed meanwhile is answered at once, not held until the send gives up.
    assert (await verify(handle, senders, CODE)).errors == {"code": CODE_ON_ITS_WAY}
    await env.fast_forward(handle, timedelta(seconds=60))  # the next failed attempt finds the code's life over
    failed = await view_when(handle, lambda v: v.errors.get("code") == SEND_TIMED_OUT)
    assert failed.errors == {"code": SEND_TIMED_OUT} and not failed.code.sent
    refused_by_then = senders.refused
    senders.provider_down = False
    await asyncio.sleep(3)
    assert senders.sent == [] and senders.refused == refused_by_then  # no attempt after the code's life
    assert (await send(handle)).notice == CODE_SENT  # the person asks again once it is back


async def test_a_send_whose_worker_died_mid_attempt_is_retried_within_a_30_second_codes_life(flow_env):
    # The worker handed the code over and died: its attempt ends only when it times out. An
    # attempt as long as the code's life left no retry, and the person's code never counted.
    # Both the short local attempt and the activity's first attempt are lost here.
    start, senders, env = flow_env
    senders.lost_attempts = 2
    handle = await start(ttl_seconds=30)
    assert (await pressed_while_it_cannot_send(handle, env, senders.sending.wait())).notice == STILL_SENDING_CODE
    # The person types the code the dead worker handed over; the retry confirms it in time.
    assert (await verify(handle, senders, CODE)).status == "completed"
    assert len(senders.sent) == 3


async def test_a_code_typed_before_its_send_is_confirmed_is_neither_refused_nor_counted(flow_env):
    start, senders, env = flow_env
    senders.lost_attempts = 2  # the local attempt and the activity's first
    handle = await start(ttl_seconds=60)  # attempts of 2 s (local), then of 19 s
    assert (await pressed_while_it_cannot_send(handle, env, senders.sending.wait())).notice == STILL_SENDING_CODE
    on_its_way = await verify(handle, senders, CODE)
    assert on_its_way.errors == {"code": CODE_ON_ITS_WAY} and on_its_way.code.tries_left == 5
    await env.fast_forward(handle, timedelta(seconds=11))  # the attempt times out; another delivers
    sent = await view_when(handle, lambda v: v.code.sent)
    assert sent.notice == CODE_SENT and len(senders.sent) == 3
    assert (await verify(handle, senders, CODE)).status == "completed"


async def test_a_refused_address_says_to_check_it_not_to_wait(flow_env):
    start, senders, env = flow_env
    senders.address_refused = True
    handle = await start(ttl_seconds=600)
    refused = await send(handle)
    assert refused.errors == {"code": SEND_FAILED} and not refused.code.sent and len(senders.sent) == 0

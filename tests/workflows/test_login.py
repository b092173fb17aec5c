"""Login's second factor in the time-skipping environment: the email code's 30 seconds, phone
login by SMS and by call, the code limits, the idle timeout, and steps taken out of order."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from tests.workflows.fakes import CODE
from tests.workflows.harness import presses_accepted
from workflows.code_challenge import MESSAGES, Outcome
from workflows.code_step import CALL_PLACED, CODE_SENT
from workflows.flow import FlowView
from workflows.login import VERIFIED, LoginStart, LoginWorkflow
from workflows.timings import Timings

ACCOUNT = "account-42"
EMAIL = "pat.doe@example.com"
PHONE = "+12125559885"
# What the API passes for LOGIN_EMAIL_CODE_TTL's default.
EMAIL_LOGIN = Timings(code_ttl_seconds=30)


async def start(flows, option: str, **changes):
    destination = PHONE if option == "phone" else EMAIL
    timings = EMAIL_LOGIN if option == "email" else Timings()
    defaults = {"account_id": ACCOUNT, "option": option, "destination": destination, "timings": timings}
    arg = LoginStart(**(defaults | changes))
    return await flows.start(LoginWorkflow.run, arg, prefix="login")


async def act(handle, update: str, *args) -> FlowView:
    return await handle.execute_update(update, args=list(args), result_type=FlowView)


async def refusal(handle, update: str, *args) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, args=list(args), result_type=FlowView)
    assert refused.value.cause.type == "FieldError"
    return refused.value.cause


async def verify(flows, handle, code: str = CODE) -> FlowView:
    return await act(handle, "verify_code", flows.senders.code_digest(handle.id, code))


def verified(view: FlowView) -> bool:
    """E-mail address verified: the login is over (its sign-in is the edge's at Continue)."""
    return (view.step, view.notice) == ("done", VERIFIED)


async def claim(handle) -> str:
    return await handle.execute_update("claim_sign_in", result_type=str)


async def test_email_login_ends_verified_and_signs_in_once(flows):
    handle = await start(flows, "email")
    view = await flows.view(handle)
    assert (view.step, view.email, view.option) == ("email", "p*******@example.com", "email")
    view = await act(handle, "send_email_code")
    assert (view.step, view.notice, view.code.channel) == ("email_code", CODE_SENT, "email")
    assert [(d.destination, d.purpose, d.expires_in_seconds) for d in flows.senders.sent] == [(EMAIL, "login", 30)]
    view = await verify(flows, handle)
    # Both factors passed: the flow is over, and Continue is the edge's (api/login_sign_in.py).
    assert (view.step, view.notice, view.status) == ("done", VERIFIED, "completed")
    assert (await flows.view(handle)).signs_in_at_continue
    assert (await refusal(handle, "continue_login")).details[0] == "form"
    assert await claim(handle) == ACCOUNT
    # Refused by the validator, or — once the claim let the flow finish — by the server.
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await claim(handle)
    assert await handle.result() == "signed_in"


async def test_email_code_is_accepted_at_29_seconds(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    await flows.fast_forward(handle, seconds=29)
    assert verified(await verify(flows, handle))


async def test_email_code_is_refused_at_31_seconds(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    await flows.fast_forward(handle, seconds=31)
    view = await verify(flows, handle)
    assert (view.step, view.errors) == ("email_code", {"code": MESSAGES[Outcome.EXPIRED]})
    # Send new code: a fresh 30 seconds.
    await act(handle, "send_code")
    assert verified(await verify(flows, handle))


async def test_phone_login_by_sms(flows):
    handle = await start(flows, "phone")
    view = await flows.view(handle)
    assert (view.step, view.phone, view.code) == ("phone", "XXX-XXX-9885", None)
    view = await act(handle, "send_phone_code", "sms")
    assert (view.step, view.notice, view.code.channel) == ("phone_code", CODE_SENT, "sms")
    assert [(d.destination, d.purpose) for d in flows.senders.sent] == [(PHONE, "login")]
    view = await verify(flows, handle)
    assert (view.step, view.status) == ("done", "completed")
    assert await claim(handle) == ACCOUNT
    assert await handle.result() == "signed_in"


async def test_phone_login_by_call_completes_with_the_spoken_code_not_a_key(flows):
    """A "press #" call let in whoever the phone's owner approved out of habit."""
    handle = await start(flows, "phone")
    view = await act(handle, "send_phone_code", "voice")
    assert (view.step, view.notice, view.code.channel) == ("phone_call", CALL_PLACED, "voice")
    await handle.signal("phone_keypress", flows.senders.keypress())
    assert (await flows.view(handle)).step == "phone_call"
    view = await verify(flows, handle)
    assert view.status == "completed"
    assert await claim(handle) == ACCOUNT


async def test_a_press_pound_call_has_no_code_to_type(flows):
    """A call an older worker placed asks for "#": its flow takes that, not a typed code."""
    flows.senders.press_pound_calls = True
    handle = await start(flows, "phone")
    await act(handle, "send_phone_code", "voice")
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"


async def test_send_new_code_waits_for_the_cooldown(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    for update in ("send_code", "send_email_code"):
        refused = await refusal(handle, update)
        assert refused.details[0] == "code" and "before requesting a new code" in refused.message
    await flows.fast_forward(handle, seconds=21)
    assert (await act(handle, "send_code")).notice == CODE_SENT
    assert len(flows.senders.sent) == 2


async def test_send_new_code_stops_at_the_cap(flows):
    handle = await start(flows, "email", timings=Timings(code_ttl_seconds=30, resend_cooldown_seconds=1, max_sends=2))
    await act(handle, "send_email_code")
    await flows.fast_forward(handle, seconds=2)
    assert (await act(handle, "send_code")).code.sends_left == 0
    await flows.fast_forward(handle, seconds=2)
    assert "Too many codes" in (await refusal(handle, "send_code")).message
    assert len(flows.senders.sent) == 2


async def test_switching_between_sms_and_call_keeps_the_limits(flows):
    handle = await start(flows, "phone", timings=Timings(resend_cooldown_seconds=20, max_sends=2))
    await act(handle, "send_phone_code", "sms")
    assert "before requesting a new code" in (await refusal(handle, "send_phone_code", "voice")).message
    await flows.fast_forward(handle, seconds=21)
    assert (await act(handle, "send_phone_code", "voice")).step == "phone_call"
    await flows.fast_forward(handle, seconds=21)
    assert "Too many codes" in (await refusal(handle, "send_phone_code", "sms")).message
    assert [d.destination for d in flows.senders.sent] == [PHONE, PHONE]


async def test_a_second_click_while_the_call_is_placed_is_refused(flows):
    flows.senders.hold_sending = asyncio.Event()
    handle = await start(flows, "phone")
    first = await handle.start_update(
        "send_phone_code", "voice", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=FlowView
    )
    await flows.senders.sending.wait()
    refused = await refusal(handle, "send_phone_code", "sms")
    assert (refused.details[0], refused.message) == ("code", "A code is already on its way.")
    assert refused.details[1] == "sending"  # the code a program compares, beside the words
    flows.senders.hold_sending.set()
    assert (await first.result()).step == "phone_call"
    assert len(flows.senders.sends()) == 1


async def test_five_wrong_codes_spend_the_code(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    for attempt in range(1, 6):
        view = await verify(flows, handle, "000000")
        assert view.code.tries_left == 5 - attempt
    assert view.errors == {"code": MESSAGES[Outcome.LOCKED]}
    assert (await verify(flows, handle)).errors == {"code": MESSAGES[Outcome.LOCKED]}
    await flows.fast_forward(handle, seconds=21)
    await act(handle, "send_code")
    assert verified(await verify(flows, handle))


async def test_an_idle_login_expires(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    await flows.fast_forward(handle, seconds=Timings().idle_seconds + 60)
    assert await handle.result() == "expired"
    view = await flows.view(handle)
    assert (view.step, view.status) == ("expired", "failed")


async def test_an_action_before_the_idle_deadline_extends_it(flows):
    handle = await start(flows, "email")
    idle = Timings().idle_seconds
    await flows.fast_forward(handle, seconds=idle - 60)
    await act(handle, "send_email_code")
    await flows.fast_forward(handle, seconds=idle - 60)
    assert (await flows.view(handle)).status == "running"
    await flows.fast_forward(handle, seconds=120)
    assert await handle.result() == "expired"


async def test_a_verified_login_left_unclaimed_does_not_sign_in_later(flows):
    handle = await start(flows, "phone")
    await act(handle, "send_phone_code", "sms")
    await verify(flows, handle)
    await flows.fast_forward(handle, minutes=16)
    await handle.result()
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await claim(handle)


@pytest.mark.parametrize(
    ("option", "steps", "update", "args"),
    [
        ("email", [], "continue_login", []),
        ("email", ["send_email_code"], "continue_login", []),
        ("email", [], "send_phone_code", ["sms"]),
        ("email", [], "claim_sign_in", []),
        ("email", ["send_email_code", "verify_code"], "send_email_code", []),
        ("email", ["send_email_code", "verify_code"], "continue_login", []),
        ("phone", [], "send_email_code", []),
        ("phone", [], "continue_login", []),
        ("phone", [], "send_phone_code", ["fax"]),
        ("phone", ["send_phone_code"], "claim_sign_in", []),
    ],
)
async def test_steps_out_of_order_are_refused_before_history(flows, option, steps, update, args):
    handle = await start(flows, option)
    for step in steps:
        if step == "verify_code":
            await verify(flows, handle)
        else:
            await act(handle, step, *(["sms"] if step == "send_phone_code" else []))
    before = await flows.view(handle)
    accepted = await presses_accepted(handle)
    assert (await refusal(handle, update, *args)).details[0] == "form"
    assert (await flows.view(handle)).step == before.step
    assert await presses_accepted(handle) == accepted


async def test_no_code_can_be_sent_or_checked_before_phone_login_chooses_a_channel(flows):
    handle = await start(flows, "phone")
    assert (await refusal(handle, "send_code")).details[0] == "code"
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"


async def test_the_account_is_searchable_by_support(flows):
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    attrs = (await handle.describe()).search_attributes
    assert (attrs["AtrezzoProcess"], attrs["AtrezzoStep"], attrs["AtrezzoAccountId"]) == (
        ["login"],
        ["email_code"],
        [ACCOUNT],
    )

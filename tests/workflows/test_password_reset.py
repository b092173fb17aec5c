"""Forgot or Reset Password in the time-skipping environment: email-only and phone users, the
second factor never skipped, an unknown address that looks exactly like a known one, the
phone code limits and the idle timeout."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.contracts import AuditEntry, StagedPassword
from tests.workflows.fakes import CODE, PASSWORD_HASH
from tests.workflows.harness import presses_accepted, scheduled_activities, without_clock
from workflows.code_challenge import MESSAGES, Outcome
from workflows.code_step import CALL_PLACED, CODE_SENT
from workflows.deliveries import STILL_SENDING_CODE
from workflows.flow import FlowView
from workflows.password_reset import PasswordResetStart, PasswordResetWorkflow
from workflows.timings import Timings

ACCOUNT = "account-42"
EMAIL = "pat.doe@example.com"
PHONE = "+12125559885"
VERIFIED = "E-mail address verified. You can now continue."
# The new password, the end of every other sign-in and the audit row: one step, one transaction.
SAVED = StagedPassword(ACCOUNT, "password.reset", end_sign_ins=True)


async def start(flows, **changes):
    arg = PasswordResetStart(**({"account_id": ACCOUNT, "email": EMAIL} | changes))
    handle = await flows.start(PasswordResetWorkflow.run, arg, prefix="password-reset")
    # The first code goes out as the flow starts.
    await flows.until(handle, lambda view: view.code is not None and view.code.sent)
    return handle


async def act(handle, update: str, *args) -> FlowView:
    return await handle.execute_update(update, args=list(args), result_type=FlowView)


async def refusal(handle, update: str, *args) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, args=list(args), result_type=FlowView)
    assert refused.value.cause.type == "FieldError"
    return refused.value.cause


async def verify(flows, handle, code: str = CODE) -> FlowView:
    return await act(handle, "verify_code", flows.senders.code_digest(handle.id, code))


async def reach_phone(flows, handle) -> None:
    assert (await verify(flows, handle)).step == "email_verified"
    assert (await act(handle, "continue_reset")).step == "phone"


async def test_email_only_user_sets_a_new_password_and_signs_in_once(flows):
    handle = await start(flows)
    view = await flows.view(handle)
    assert (view.step, view.email, view.notice) == ("email_code", "p*******@example.com", CODE_SENT)
    assert view.code.channel == "email"
    assert [(d.destination, d.purpose) for d in flows.senders.sent] == [(EMAIL, "password_reset")]
    view = await verify(flows, handle)
    assert (view.step, view.notice) == ("email_verified", VERIFIED)
    assert (await act(handle, "continue_reset")).step == "new_password"
    view = await act(handle, "save_new_password")
    assert (view.step, view.status) == ("done", "completed")
    assert flows.accounts.calls[0] == ("save_staged_password", SAVED)
    assert flows.accounts.args("apply_staged_password") == flows.accounts.args("revoke_sign_ins") == []
    assert await handle.execute_update("claim_sign_in", result_type=str) == ACCOUNT
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update("claim_sign_in", result_type=str)
    assert await handle.result() == "reset"
    # The owner hears of it at the address on record, and that was audited (the flow waited for both).
    assert [(n.to, n.template, n.detail) for n in flows.senders.notices] == [(EMAIL, "password_changed", {"signed_out": "yes"})]
    notice = AuditEntry("notice.sent", subject=ACCOUNT, detail={"flow": handle.id, "template": "password_changed"})
    assert flows.accounts.args("record_audit") == [notice]
    assert flows.accounts.audit_events() == ["password.reset", "notice.sent"]


async def test_phone_user_verifies_by_sms_before_the_new_password(flows):
    handle = await start(flows, phone=PHONE)
    await reach_phone(flows, handle)
    view = await flows.view(handle)
    assert (view.phone, view.code) == ("XXX-XXX-9885", None)
    view = await act(handle, "send_phone_code", "sms")
    assert (view.step, view.notice, view.code.channel) == ("phone_code", CODE_SENT, "sms")
    assert [(d.destination, d.purpose) for d in flows.senders.sent][-1] == (PHONE, "password_reset")
    assert (await verify(flows, handle)).step == "new_password"
    assert (await act(handle, "save_new_password")).step == "done"
    assert flows.accounts.calls[0] == ("save_staged_password", SAVED)


async def test_phone_user_verifies_by_call_before_the_new_password(flows):
    handle = await start(flows, phone=PHONE)
    await reach_phone(flows, handle)
    view = await act(handle, "send_phone_code", "voice")
    assert (view.step, view.notice) == ("phone_call", CALL_PLACED)
    await handle.signal("phone_keypress", flows.senders.keypress())  # a key approves nothing
    assert (await flows.view(handle)).step == "phone_call"
    assert (await verify(flows, handle)).step == "new_password"
    assert (await act(handle, "save_new_password")).step == "done"


@pytest.mark.parametrize("step", ["email_code", "email_verified", "phone", "phone_code", "phone_call"])
async def test_a_reset_never_bypasses_the_second_factor(flows, step):
    handle = await start(flows, phone=PHONE)
    if step != "email_code":
        assert (await verify(flows, handle)).step == "email_verified"
    if step in ("phone", "phone_code", "phone_call"):
        await act(handle, "continue_reset")
    if step in ("phone_code", "phone_call"):
        await act(handle, "send_phone_code", "sms" if step == "phone_code" else "voice")
    assert (await refusal(handle, "save_new_password")).details[0] == "form"
    assert (await flows.view(handle)).step == step
    assert flows.accounts.calls == []


async def test_the_email_code_does_not_pass_the_phone_step(flows):
    handle = await start(flows, phone=PHONE)
    await reach_phone(flows, handle)
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"
    assert (await refusal(handle, "send_code")).details[0] == "code"
    # A call placed by an older worker is answered with #, not with a typed code.
    flows.senders.press_pound_calls = True
    await act(handle, "send_phone_code", "voice")
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"
    assert (await flows.view(handle)).step == "phone_call"


@pytest.mark.parametrize(
    ("update", "args"),
    [
        ("continue_reset", []),
        ("send_phone_code", ["sms"]),
        ("save_new_password", []),
        ("claim_sign_in", []),
    ],
)
async def test_steps_out_of_order_are_refused_before_history(flows, update, args):
    handle = await start(flows, phone=PHONE)
    refused = await refusal(handle, update, *args)
    assert refused.details[0] == "form"
    assert (await flows.view(handle)).step == "email_code"
    assert await presses_accepted(handle) == []


async def test_a_password_hash_in_the_update_is_refused_before_history(flows):
    """How flows took the password before it was staged at the edge: a hash in the update's
    argument would stay in history for the retention period. Refused, and nothing recorded."""
    handle = await start(flows)
    await verify(flows, handle)
    await act(handle, "continue_reset")
    assert (await refusal(handle, "set_new_password", PASSWORD_HASH)).details[0] == "password"
    assert flows.accounts.calls == []
    history = await handle.fetch_history()
    assert PASSWORD_HASH.encode() not in history.to_json().encode()


async def test_nothing_staged_is_a_refusal_on_the_password_and_the_step_stays(flows):
    handle = await start(flows)
    await verify(flows, handle)
    await act(handle, "continue_reset")
    flows.accounts.nothing_staged = True
    view = await act(handle, "save_new_password")
    assert (view.step, view.errors) == ("new_password", {"password": "The password could not be accepted. Please try again."})
    assert flows.accounts.args("revoke_sign_ins") == []
    flows.accounts.nothing_staged = False
    assert (await act(handle, "save_new_password")).step == "done"


async def test_switching_between_sms_and_call_keeps_the_limits(flows):
    handle = await start(flows, phone=PHONE, timings=Timings(resend_cooldown_seconds=20, max_sends=2))
    await reach_phone(flows, handle)
    await act(handle, "send_phone_code", "sms")
    assert "before requesting a new code" in (await refusal(handle, "send_phone_code", "voice")).message
    await flows.fast_forward(handle, seconds=21)
    assert (await act(handle, "send_phone_code", "voice")).step == "phone_call"
    await flows.fast_forward(handle, seconds=21)
    assert "Too many codes" in (await refusal(handle, "send_phone_code", "sms")).message
    assert [d.destination for d in flows.senders.sent] == [EMAIL, PHONE, PHONE]


async def test_a_second_click_while_the_code_is_on_its_way_is_refused(flows):
    handle = await start(flows, phone=PHONE)
    await reach_phone(flows, handle)
    flows.senders.hold_sending = asyncio.Event()
    flows.senders.sending.clear()
    first = await handle.start_update(
        "send_phone_code", "sms", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=FlowView
    )
    await flows.senders.sending.wait()
    refused = await refusal(handle, "send_phone_code", "voice")
    assert (refused.details[0], refused.message) == ("code", "A code is already on its way.")
    flows.senders.hold_sending.set()
    assert (await first.result()).step == "phone_code"
    assert flows.senders.sends() == [EMAIL, PHONE]


async def test_five_wrong_codes_spend_the_code(flows):
    handle = await start(flows)
    for _ in range(5):
        view = await verify(flows, handle, "000000")
    assert view.errors == {"code": MESSAGES[Outcome.LOCKED]}
    assert (await verify(flows, handle)).errors == {"code": MESSAGES[Outcome.LOCKED]}
    await flows.fast_forward(handle, seconds=21)
    await act(handle, "send_code")
    assert (await verify(flows, handle)).step == "email_verified"


async def test_an_unknown_address_delivers_nothing_and_answers_like_a_wrong_code(flows):
    known = await start(flows)
    unknown = await start(flows, account_id="")
    assert [d.destination for d in flows.senders.sent] == [EMAIL]
    assert without_clock(await flows.view(unknown)) == without_clock(await flows.view(known))
    # Whatever digest comes in, even that of the code a known address would get.
    wrong = await verify(flows, known, "000000")
    refused = await verify(flows, unknown)
    assert refused.errors == wrong.errors == {"code": MESSAGES[Outcome.WRONG]}
    assert without_clock(refused) == without_clock(wrong)
    await flows.fast_forward(unknown, seconds=21)
    await flows.fast_forward(known, seconds=21)
    assert without_clock(await act(unknown, "send_code")) == without_clock(await act(known, "send_code"))
    for _ in range(5):
        refused = await verify(flows, unknown)
    assert refused.errors == {"code": MESSAGES[Outcome.LOCKED]}
    for update, args in [("continue_reset", []), ("save_new_password", [])]:
        assert (await refusal(unknown, update, *args)).details[0] == "form"
    # Its two sends were decoys, which deliver nothing: nothing else ran. The first, in the
    # run's first task, is an activity; Send New Code's tries the worker first, as a real one's.
    assert await scheduled_activities(unknown) == ["imitate_code_email", "local imitate_code_email"]
    assert flows.senders.imitations == 2
    assert [d.destination for d in flows.senders.sent] == [EMAIL, EMAIL]
    assert flows.accounts.calls == []


async def test_a_decoy_send_is_as_slow_and_fails_as_the_real_sends_do(flows):
    # A Send new code whose answer came sooner for an unknown address than for a known one told
    # an attacker which addresses have accounts: a decoy waited 60-400 ms, whatever the mail
    # server took. Here the server is down: the real send retries, and the answer comes 8 s
    # later; the decoy must do the same.
    known = await start(flows)
    unknown = await start(flows, account_id="")
    for handle in (known, unknown):
        await flows.fast_forward(handle, seconds=21)
    sends_left_before = {handle.id: (await flows.view(handle)).code.sends_left for handle in (known, unknown)}
    flows.senders.provider_down = True
    answers = []
    for handle in (known, unknown):
        failed_before = flows.senders.refused
        pressed = await handle.start_update("send_code", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=FlowView)
        await flows.until(handle, lambda _: flows.senders.refused > failed_before)
        await flows.fast_forward(handle, seconds=9)
        answers.append(without_clock(await pressed.result()))
    assert answers[0] == answers[1]
    assert answers[0].notice == STILL_SENDING_CODE
    for handle in (known, unknown):  # both still on their way
        assert (await refusal(handle, "send_code")).message == "A code is already on its way."
    flows.senders.provider_down = False
    for handle in (known, unknown):
        await flows.until(handle, lambda view: view.code.sends_left == sends_left_before[handle.id] - 1)
    assert flows.senders.imitations > 2 and [d.destination for d in flows.senders.sent] == [EMAIL, EMAIL]


async def test_an_unknown_address_leaves_no_account_in_the_search_attributes(flows):
    known = await start(flows)
    unknown = await start(flows, account_id="")
    known_attrs = (await known.describe()).search_attributes
    unknown_attrs = (await unknown.describe()).search_attributes
    assert known_attrs["AtrezzoAccountId"] == [ACCOUNT]
    assert "AtrezzoAccountId" not in unknown_attrs
    assert (unknown_attrs["AtrezzoProcess"], unknown_attrs["AtrezzoStep"]) == (["password_reset"], ["email_code"])


@pytest.mark.parametrize("account_id", [ACCOUNT, ""])
async def test_an_idle_reset_expires(flows, account_id):
    handle = await start(flows, account_id=account_id)
    await flows.fast_forward(handle, seconds=Timings().idle_seconds + 60)
    assert await handle.result() == "expired"
    view = await flows.view(handle)
    assert (view.step, view.status) == ("expired", "failed")
    assert flows.accounts.calls == []


async def test_the_email_code_expires_after_the_code_ttl(flows):
    handle = await start(flows, timings=Timings(code_ttl_seconds=600))
    await flows.fast_forward(handle, seconds=601)
    view = await verify(flows, handle)
    assert (view.step, view.errors) == ("email_code", {"code": MESSAGES[Outcome.EXPIRED]})

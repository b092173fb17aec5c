"""MFA enrollment in the time-skipping environment: both methods, address changes, code
limits, the idle timeout, resuming, and steps taken out of order."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.contracts import EmailToVerify, MfaChoice, StagedPassword, TermsAccepted
from domain.terms import TERMS_VERSION
from tests.workflows.fake_accounts import EMAIL_IN_USE, TAKEN_EMAIL
from tests.workflows.fakes import CODE, PASSWORD_HASH
from tests.workflows.harness import presses_accepted
from workflows.code_challenge import MESSAGES, Outcome
from workflows.code_step import CODE_SENT
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow, PhoneEntry
from workflows.flow import FlowView
from workflows.timings import Timings

ACCOUNT = "account-42"
EMAIL = "pat.doe@example.com"
PHONE = "+12025550143"


async def start(flows, **changes):
    arg = EnrollmentStart(**({"account_id": ACCOUNT, "purpose": "existing_user", "email": EMAIL} | changes))
    return await flows.start(MfaEnrollmentWorkflow.run, arg, prefix="enrollment")


async def act(handle, update: str, *args) -> FlowView:
    return await handle.execute_update(update, args=list(args), result_type=FlowView)


async def refusal(handle, update: str, *args) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, args=list(args), result_type=FlowView)
    assert refused.value.cause.type == "FieldError"
    return refused.value.cause


async def verify(flows, handle, code: str = CODE) -> FlowView:
    return await act(handle, "verify_code", flows.senders.code_digest(handle.id, code))


async def reach(flows, handle, step: str, method: str = "phone") -> None:
    """Walk a fresh enrollment to ``step`` the ordinary way."""
    if step == "method":
        return
    await act(handle, "choose_method", method)
    if step == "email":
        return
    await act(handle, "submit_email", EMAIL)
    assert (await verify(flows, handle)).step == "password"
    if step == "phone":
        await act(handle, "save_password")


async def test_email_method_enrolls_accepts_terms_and_signs_in_once(flows):
    handle = await start(flows, purpose="registration", requires_terms=True)
    assert (await act(handle, "choose_method", "email")).step == "email"
    view = await act(handle, "submit_email", EMAIL)
    assert (view.step, view.notice) == ("email_code", CODE_SENT)
    assert flows.senders.sent[-1].destination == EMAIL
    assert (await verify(flows, handle)).step == "password"
    assert flows.accounts.args("verify_account_email") == [EmailToVerify(ACCOUNT, EMAIL, audited=True)]
    assert flows.accounts.args("record_audit") == []  # the verification's audit row came with it
    assert (await act(handle, "save_password")).step == "terms"
    assert flows.accounts.args("save_staged_password") == [StagedPassword(ACCOUNT, "password.created")]
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(ACCOUNT, "email", "", audited=True)]
    view = await act(handle, "accept_terms", TERMS_VERSION)
    assert (view.step, view.status) == ("done", "completed")
    assert flows.accounts.args("accept_terms") == [TermsAccepted(ACCOUNT, TERMS_VERSION)]
    assert await handle.execute_update("claim_sign_in", result_type=str) == ACCOUNT
    # Refused by the validator, or — once the claim let the flow finish — by the server.
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update("claim_sign_in", result_type=str)
    assert await handle.result() == "completed"
    assert flows.accounts.audit_events() == ["mfa.email_verified", "password.created", "mfa.registered"]


async def test_without_terms_the_password_finishes_the_email_method(flows):
    handle = await start(flows)
    await reach(flows, handle, "password", "email")
    view = await act(handle, "save_password")
    assert (view.step, view.status) == ("done", "completed")
    assert flows.accounts.args("accept_terms") == []


async def test_phone_method_by_sms(flows):
    handle = await start(flows)
    await reach(flows, handle, "phone")
    view = await act(handle, "submit_phone", PhoneEntry(PHONE, "sms"))
    assert view.step == "phone_code" and view.code.channel == "sms"
    assert flows.senders.sent[-1].destination == PHONE
    assert (await verify(flows, handle)).step == "done"
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(ACCOUNT, "phone", PHONE, audited=True)]


async def test_phone_method_by_voice_call_completes_with_the_spoken_code(flows):
    handle = await start(flows)
    await reach(flows, handle, "phone")
    view = await act(handle, "submit_phone", PhoneEntry(PHONE, "voice"))
    assert view.step == "phone_call" and view.notice.startswith("We are calling you now")
    # Pressing a key approves nothing: the code has to be typed.
    await handle.signal("phone_keypress", flows.senders.keypress())
    assert (await flows.view(handle)).step == "phone_call"
    assert (await verify(flows, handle, "000000")).errors == {"code": MESSAGES[Outcome.WRONG]}
    assert (await verify(flows, handle)).step == "done"
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(ACCOUNT, "phone", PHONE, audited=True)]


async def test_a_call_placed_before_calls_spoke_their_code_still_completes_on_the_pound_key(flows):
    flows.senders.press_pound_calls = True
    handle = await start(flows)
    await reach(flows, handle, "phone")
    await act(handle, "submit_phone", PhoneEntry(PHONE, "voice"))
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"
    await handle.signal("phone_keypress", flows.senders.keypress(digits="1"))
    await handle.signal("phone_keypress", flows.senders.keypress(token="another-call"))
    assert (await flows.view(handle)).step == "phone_call"
    await handle.signal("phone_keypress", flows.senders.keypress())
    await flows.until(handle, step="done")


async def test_email_used_by_another_account_goes_back_to_the_email_step(flows):
    # A new provider's enrollment: the registration link proved the mailbox, any address goes.
    handle = await start(flows, purpose="registration")
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", TAKEN_EMAIL)
    view = await verify(flows, handle)
    assert (view.step, view.errors) == ("email", {"email": EMAIL_IN_USE})
    await flows.fast_forward(handle, seconds=21)
    await act(handle, "submit_email", EMAIL)
    assert (await verify(flows, handle)).step == "password"


async def test_change_email_sends_the_code_to_the_new_address(flows):
    # A new provider's enrollment: the registration link proved the mailbox, any address goes.
    handle = await start(flows, purpose="registration")
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", "old@example.com")
    assert (await act(handle, "change_email")).step == "email"
    await flows.fast_forward(handle, seconds=21)
    assert (await act(handle, "submit_email", EMAIL)).step == "email_code"
    assert flows.senders.sent[-1].destination == EMAIL
    await verify(flows, handle)
    assert flows.accounts.args("verify_account_email") == [EmailToVerify(ACCOUNT, EMAIL, audited=True)]


async def test_resend_cooldown_carries_across_a_changed_address(flows):
    # A new provider's enrollment: the registration link proved the mailbox, any address goes.
    handle = await start(flows, purpose="registration")
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", "old@example.com")
    await act(handle, "change_email")
    refused = await refusal(handle, "submit_email", EMAIL)
    assert refused.details[0] == "email" and "before requesting a new code" in refused.message
    assert len(flows.senders.sent) == 1


async def test_resend_cap_counts_every_address(flows):
    handle = await start(flows, purpose="registration", timings=Timings(resend_cooldown_seconds=1, max_sends=2))
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", "old@example.com")
    await flows.fast_forward(handle, seconds=2)
    await act(handle, "change_email")
    await act(handle, "submit_email", EMAIL)
    await flows.fast_forward(handle, seconds=2)
    assert "Too many codes" in (await refusal(handle, "send_code")).message
    assert len(flows.senders.sent) == 2


async def test_change_phone_moves_the_challenge_to_the_new_line(flows):
    handle = await start(flows)
    await reach(flows, handle, "phone")
    await act(handle, "submit_phone", PhoneEntry("+12025550100", "sms"))
    assert (await act(handle, "change_phone")).step == "phone"
    await flows.fast_forward(handle, seconds=21)
    assert (await act(handle, "submit_phone", PhoneEntry(PHONE, "voice"))).step == "phone_call"
    assert (await verify(flows, handle)).step == "done"
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(ACCOUNT, "phone", PHONE, audited=True)]


async def test_code_expires_after_the_code_ttl(flows):
    handle = await start(flows, timings=Timings(code_ttl_seconds=600))
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", EMAIL)
    await flows.fast_forward(handle, seconds=601)
    view = await verify(flows, handle)
    assert (view.step, view.errors) == ("email_code", {"code": MESSAGES[Outcome.EXPIRED]})


async def test_five_wrong_codes_spend_the_code(flows):
    handle = await start(flows)
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", EMAIL)
    for _ in range(5):
        view = await verify(flows, handle, "000000")
    assert view.errors["code"].startswith("Too many incorrect attempts")
    assert (await verify(flows, handle)).errors["code"].startswith("Too many incorrect attempts")
    await flows.fast_forward(handle, seconds=21)
    await act(handle, "send_code")
    assert (await verify(flows, handle)).step == "password"


async def test_idle_enrollment_is_abandoned(flows):
    handle = await start(flows)
    await act(handle, "choose_method", "email")
    await flows.fast_forward(handle, seconds=Timings().idle_seconds + 60)
    assert await handle.result() == "abandoned"
    view = await flows.view(handle)
    assert (view.step, view.status) == ("abandoned", "failed")
    assert flows.accounts.audit_events() == ["mfa.enrollment_abandoned"]


async def test_an_action_just_before_the_idle_deadline_extends_it(flows):
    handle = await start(flows)
    idle = Timings().idle_seconds
    await flows.fast_forward(handle, seconds=idle - 60)
    await act(handle, "choose_method", "email")
    await flows.fast_forward(handle, seconds=idle - 60)
    assert (await flows.view(handle)).status == "running"
    await flows.fast_forward(handle, seconds=120)
    assert await handle.result() == "abandoned"


async def test_new_codes_and_verification_count_as_activity(flows):
    handle = await start(flows)
    idle = Timings().idle_seconds
    await act(handle, "choose_method", "email")
    await act(handle, "submit_email", EMAIL)
    await flows.fast_forward(handle, seconds=idle - 60)
    await act(handle, "send_code")
    await flows.fast_forward(handle, seconds=300)
    await verify(flows, handle)
    await flows.fast_forward(handle, seconds=idle - 60)
    view = await flows.view(handle)
    assert (view.step, view.status) == ("password", "running")


async def test_resume_starts_at_the_phone_step_and_can_use_email_instead(flows):
    handle = await start(flows, purpose="resume", email_verified=True, has_new_password=True)
    view = await flows.view(handle)
    assert (view.step, view.can_use_email) == ("phone", True)
    view = await act(handle, "use_email_instead")
    assert (view.step, view.status) == ("done", "completed")
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(ACCOUNT, "email", "", audited=True)]
    assert flows.accounts.args("save_staged_password") == []


@pytest.mark.parametrize(
    ("update", "args"),
    [
        ("save_password", []),
        ("submit_phone", [PhoneEntry(PHONE, "sms")]),
        ("accept_terms", [TERMS_VERSION]),
        ("change_email", []),
        ("use_email_instead", []),
        ("claim_sign_in", []),
    ],
)
async def test_steps_out_of_order_are_refused_before_history(flows, update, args):
    handle = await start(flows)
    refused = await refusal(handle, update, *args)
    assert refused.details[0] == "form"
    assert (await flows.view(handle)).step == "method"
    assert await presses_accepted(handle) == []


async def test_codes_cannot_be_sent_or_checked_before_an_address_is_given(flows):
    handle = await start(flows)
    assert (await refusal(handle, "send_code")).details[0] == "code"
    assert (await refusal(handle, "verify_code", flows.senders.code_digest(handle.id))).details[0] == "code"


@pytest.mark.parametrize(
    ("step", "update", "arg", "field_name"),
    [
        ("method", "choose_method", "fax", "method"),
        ("email", "submit_email", "not-an-address", "email"),
        ("password", "set_password", PASSWORD_HASH, "password"),
        ("phone", "submit_phone", PhoneEntry("+1202555014", "sms"), "phone_number"),
        ("phone", "submit_phone", PhoneEntry(PHONE, "fax"), "phone_number"),
    ],
)
async def test_bad_input_is_a_field_error_on_its_screen(flows, step, update, arg, field_name):
    handle = await start(flows)
    await reach(flows, handle, step)
    assert (await refusal(handle, update, arg)).details[0] == field_name
    assert (await flows.view(handle)).step == step

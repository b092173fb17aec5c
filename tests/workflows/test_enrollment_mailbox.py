"""MFA enrollment in the time-skipping environment, on what proves the mailbox: only an emailed
link lets an enrollment skip the email code (a password alone, as after an admin reset, does
not), a new address needs the code of the one on record first and both are told, an
established account hears of its new password and method, and a first login that support
restarted starts over at the method."""

from __future__ import annotations

import uuid

import pytest

from activities.contracts import AccountProgress, EmailToVerify
from tests.workflows.test_enrollment import ACCOUNT, EMAIL, PHONE, act, refusal, start, verify
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow, PhoneEntry
from workflows.enrollment_email import ON_RECORD_FIRST
from workflows.flow import RESTARTED_FROM

# --- what proves the mailbox (the admin-reset MFA bypass) -------------------------------------
PURPOSES = ("registration", "registration_reset", "resume", "existing_user", "admin_reset")
SAVED = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize(("email_verified", "has_new_password"), SAVED)
async def test_only_a_link_to_the_mailbox_lets_an_enrollment_skip_the_email_code(
    flows, purpose, email_verified, has_new_password
):
    """An admin reset keeps email_verified_at and password_changed_at. First login with the
    password alone used to resume at the phone with "use email instead" offered, and that
    recorded email as the method without any code. Only an emailed link proves the mailbox."""
    handle = await start(flows, purpose=purpose, email_verified=email_verified, has_new_password=has_new_password)
    view = await flows.view(handle)
    proven = purpose in ("registration", "registration_reset", "resume")
    if proven and email_verified and has_new_password:
        assert (view.step, view.can_use_email) == ("phone", True)
        assert (await act(handle, "use_email_instead")).step == "done"
        return
    assert view.step == "method" and not view.can_use_email
    assert (await refusal(handle, "use_email_instead")).details[0] == "form"
    assert flows.accounts.args("complete_mfa_registration") == []
    await act(handle, "choose_method", "email")
    if proven:
        assert view.email_address == EMAIL
        return
    # A password alone: the address on record is shown masked, never in full, and is the only
    # one a code may go to until that code is verified.
    assert (view.email_address, view.email_on_record) == ("", "p*******@example.com")
    refused = await refusal(handle, "submit_email", "attacker@example.net")
    assert (refused.details[0], refused.message) == ("email", ON_RECORD_FIRST)
    assert flows.senders.sent == []
    view = await act(handle, "send_to_email_on_record")
    assert (view.step, flows.senders.sent[-1].destination) == ("email_code", EMAIL)
    assert (await refusal(handle, "use_email_instead")).details[0] == "form"


@pytest.mark.parametrize("purpose", ["existing_user", "admin_reset"])
async def test_a_new_address_needs_the_code_of_the_one_on_record_first_and_both_are_told(flows, purpose):
    handle = await start(flows, purpose=purpose)
    await act(handle, "choose_method", "email")
    await act(handle, "send_to_email_on_record")
    assert (await verify(flows, handle)).step == "password"
    assert flows.senders.notices == []  # the same address: nothing changed
    assert (await act(handle, "change_email")).step == "email"
    await flows.fast_forward(handle, seconds=21)
    view = await act(handle, "submit_email", "pat.new@example.org")
    assert (view.step, flows.senders.sent[-1].destination) == ("email_code", "pat.new@example.org")
    assert (await verify(flows, handle)).step == "password"
    assert flows.accounts.args("verify_account_email")[-1] == EmailToVerify(ACCOUNT, "pat.new@example.org", audited=True)
    changed = await flows.notices_until(2)
    assert {(n.to, n.template, n.detail["new_email"]) for n in changed} == {
        (EMAIL, "email_changed", "p*******@example.org"),
        ("pat.new@example.org", "email_changed", "p*******@example.org"),
    }
    await flows.audited("notice.sent", 2)


async def test_an_established_account_hears_of_its_new_password_and_method(flows):
    handle = await start(flows, purpose="admin_reset")
    await act(handle, "choose_method", "phone")
    await act(handle, "send_to_email_on_record")
    await verify(flows, handle)
    await act(handle, "save_password")
    await act(handle, "submit_phone", PhoneEntry(PHONE, "sms"))
    assert (await verify(flows, handle)).step == "done"
    await handle.execute_update("claim_sign_in", result_type=str)
    assert await handle.result() == "completed"
    notices = [(n.to, n.template, n.detail) for n in flows.senders.notices]
    assert notices == [
        (EMAIL, "password_changed", {}),
        (EMAIL, "mfa_registered", {"method": "phone", "phone": "XXX-XXX-0143"}),
    ]


async def test_a_new_provider_s_first_password_and_method_are_no_news(flows):
    handle = await start(flows, purpose="registration")
    await flows.enroll_by_email(handle, EMAIL)
    assert flows.senders.notices == []


async def test_a_restarted_first_login_starts_over_at_the_method(flows):
    """Support's restart reads what the account holds: for a password-only enrollment that
    never skips the email code either."""
    flows.accounts.saved[ACCOUNT] = AccountProgress(ACCOUNT, "active", EMAIL, "Pat", email_verified=True, has_password=True)
    handle = await flows.client.start_workflow(
        MfaEnrollmentWorkflow.run, EnrollmentStart(ACCOUNT, "existing_user", EMAIL), id=f"enrollment-{uuid.uuid4()}",
        task_queue=flows.task_queue, memo={RESTARTED_FROM: "enrollment-earlier-run"},
    )
    view = await flows.until(handle, lambda v: bool(v.email_on_record))
    assert view.step == "method"
    assert (await refusal(handle, "use_email_instead")).details[0] == "form"

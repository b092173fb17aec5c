"""Finishing a registration by emailed link ("Registration Error → Reset" and "Having
trouble logging in?") in the time-skipping environment, and the registration that needs it."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError

from activities.contracts import MfaChoice
from tests.workflows.fakes import NEW_ACCOUNT, PROVIDER_ID, PROVIDER_NPI
from workflows.enrollment import EnrollmentStart
from workflows.flow import FlowView
from workflows.registration import ProviderRegistrationWorkflow, RegistrationStart
from workflows.registration_reset import RegistrationResetWorkflow, ResetStart

EMAIL = NEW_ACCOUNT.email


async def start(flows, reason: str, **changes):
    arg = ResetStart(**({"account_id": "account-9", "reason": reason, "email": EMAIL, "first_name": "Pat"} | changes))
    handle = await flows.start(RegistrationResetWorkflow.run, arg, prefix="registration-reset")
    await flows.link_taken_in(handle)
    return handle


async def click(flows, handle) -> FlowView:
    await handle.signal("link_clicked", flows.senders.link_digest())
    return await flows.until(handle, step="enrolling")


@pytest.mark.parametrize(
    ("reason", "process", "template", "purpose"),
    [
        ("registration_error", "registration_reset", "registration_reset_link", "registration_reset"),
        ("having_trouble", "enrollment_help", "enrollment_resume_link", "resume"),
    ],
)
async def test_the_emailed_link_opens_enrollment(flows, reason, process, template, purpose):
    handle = await start(flows, reason)
    view = await flows.view(handle)
    assert (view.process, view.step) == (process, "check_email")
    [link] = flows.senders.links
    assert (link.to, link.template, link.path, link.greeting_name) == (EMAIL, template, "/register/confirm", "Pat")
    child_start = await flows.started_with(flows.child(await click(flows, handle)), EnrollmentStart)
    assert (child_start.account_id, child_start.purpose, child_start.email) == ("account-9", purpose, EMAIL)


async def test_having_trouble_resumes_at_the_phone_step(flows):
    handle = await start(flows, "having_trouble", email_verified=True, has_new_password=True)
    child = flows.child(await click(flows, handle))
    assert (await flows.view(child)).step == "phone"
    await child.execute_update("use_email_instead", result_type=FlowView)
    assert await child.execute_update("claim_sign_in", result_type=str) == "account-9"
    assert await handle.result() == "completed"


async def test_the_reset_link_expires_after_20_minutes(flows):
    handle = await start(flows, "registration_error")
    await flows.fast_forward(handle, minutes=21)
    assert await handle.result() == "link_expired"
    assert (await flows.view(handle)).step == "link_expired"


async def test_a_cancelled_reset_keeps_the_pending_account(flows):
    handle = await start(flows, "registration_error")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert flows.accounts.args("release_pending_account") == []


async def test_link_clicked_at_21_minutes_fails_and_reset_then_completes(flows):
    registration = await flows.start(
        ProviderRegistrationWorkflow.run,
        RegistrationStart(provider_id=PROVIDER_ID, provider_npi=PROVIDER_NPI, provider_name="Demo Family Practice"),
        prefix="registration",
    )
    await registration.execute_update("submit_user_info", NEW_ACCOUNT, result_type=FlowView)
    await flows.link_taken_in(registration)
    await flows.fast_forward(registration, minutes=21)
    # Its account stays pending (released only a day on, if still unverified): Reset finishes it.
    await flows.until(registration, step="registration_error")

    reset = await start(flows, "registration_error", account_id="account-1", requires_terms=True)
    child = flows.child(await click(flows, reset))
    assert await flows.enroll_by_email(child, NEW_ACCOUNT.email) == "account-1"
    assert await reset.result() == "completed"
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice("account-1", "email", "", audited=True)]
    assert [accepted.account_id for accepted in flows.accounts.args("accept_terms")] == ["account-1"]
    assert flows.accounts.args("release_pending_account") == []

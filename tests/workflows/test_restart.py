"""Support's cancel and restart (operations.control) on the real workflows with fake
activities, in the time-skipping environment: what each leaves behind, and that a restarted
flow picks up what the database already holds."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from operations.control import cancel_flow, restart_flow
from operations.errors import FlowClosed, UnknownFlow
from tests.workflows.fakes import NEW_ACCOUNT
from tests.workflows.test_registration import assert_cancelled, click, enrolling, registered, start, submit
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
from workflows.flow import FlowView
from workflows.login import LoginStart, LoginWorkflow
from workflows.password_reset import PasswordResetStart, PasswordResetWorkflow
from workflows.registration_reset import RegistrationResetWorkflow, ResetStart


async def latest(flows, flow_id: str):
    """The handle of the newest run under ``flow_id`` (what a browser's cookie reaches)."""
    return flows.client.get_workflow_handle(flow_id)


async def test_a_restarted_registration_keeps_its_account_and_emails_a_fresh_link(flows):
    handle = await registered(flows)
    first_run = (await handle.describe()).run_id
    result = await restart_flow(flows.client, handle.id)
    assert (result.flow_id, result.old_run_id, result.status) == (handle.id, first_run, "cancelled")
    assert result.new_run_id and result.new_run_id != first_run
    restarted = await latest(flows, handle.id)
    view = await flows.until(restarted, step="check_email")
    assert "within 20 minutes" in view.notice
    # The pending account is kept, and the new run found it instead of asking again.
    assert flows.accounts.args("release_pending_account") == []
    assert flows.accounts.args("find_registration_account") == [handle.id]
    assert len(flows.accounts.args("create_pending_account")) == 1
    assert flows.senders.notices == []
    await flows.link_taken_in(restarted)
    assert [link.to for link in flows.senders.links] == [NEW_ACCOUNT.email, NEW_ACCOUNT.email]
    # The fresh link continues into enrollment for the same account.
    await click(flows, restarted)
    child = flows.child(await flows.until(restarted, step="enrolling"))
    started = await flows.started_with(child, EnrollmentStart)
    assert (started.account_id, started.email) == ("account-1", NEW_ACCOUNT.email)
    assert await flows.enroll_by_email(child, NEW_ACCOUNT.email) == "account-1"
    assert await restarted.result() == "completed"


async def test_a_registration_restarted_before_user_info_asks_for_it_again(flows):
    handle = await start(flows)
    await flows.started(handle)
    await restart_flow(flows.client, handle.id)
    restarted = await latest(flows, handle.id)
    # While the new run looks for a saved account its screen says so; then it asks again.
    await flows.until(restarted, lambda view: view.notice == "", step="user_info")
    assert (await submit(restarted)).step == "check_email"
    assert flows.accounts.args("release_pending_account") == []


async def test_restarting_an_enrollment_restarts_its_registration_which_resumes_at_the_phone(flows):
    handle, child = await enrolling(flows)
    for update, arg in [("choose_method", "phone"), ("submit_email", NEW_ACCOUNT.email)]:
        await child.execute_update(update, arg, result_type=FlowView)
    await child.execute_update("verify_code", flows.senders.code_digest(child.id), result_type=FlowView)
    await child.execute_update("save_password", result_type=FlowView)
    result = await restart_flow(flows.client, child.id)
    assert (result.flow_id, result.asked_for) == (handle.id, child.id)
    await assert_cancelled(child)
    assert flows.accounts.args("release_pending_account") == []
    restarted = await latest(flows, handle.id)
    await flows.link_taken_in(restarted)
    await click(flows, restarted)
    new_child = flows.child(await flows.until(restarted, step="enrolling"))
    started = await flows.started_with(new_child, EnrollmentStart)
    assert (started.email_verified, started.has_new_password) == (True, True)
    view = await flows.view(new_child)
    assert (view.step, view.can_use_email) == ("phone", True)


async def test_a_restarted_enrollment_starts_from_what_the_account_holds(flows):
    # Begun from an emailed link, which proved the mailbox (a password alone starts over:
    # tests/workflows/test_enrollment.py).
    arg = EnrollmentStart(account_id="account-9", purpose="resume", email="sam@example.com")
    handle = await flows.start(MfaEnrollmentWorkflow.run, arg, prefix="enrollment")
    for update, value in [("choose_method", "phone"), ("submit_email", "sam@example.com")]:
        await handle.execute_update(update, value, result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("save_password", result_type=FlowView)
    await restart_flow(flows.client, handle.id)
    view = await flows.until(await latest(flows, handle.id), step="phone")
    assert view.can_use_email


async def test_cancelling_a_registration_waiting_for_its_link_tells_the_person(flows):
    handle = await registered(flows)
    result = await cancel_flow(flows.client, handle.id)
    assert result.status == "cancelled"
    await assert_cancelled(handle)
    assert flows.accounts.args("release_pending_account") == ["account-1"]
    [notice] = flows.senders.notices
    assert (notice.to, notice.template, notice.greeting_name) == (NEW_ACCOUNT.email, "registration_cancelled", "Pat")
    assert (await flows.view(handle)).step == "cancelled"


async def test_cancelling_an_enrollment_cancels_its_registration_without_an_email(flows):
    handle, child = await enrolling(flows)
    result = await cancel_flow(flows.client, child.id)
    assert result.flow_id == handle.id
    await assert_cancelled(handle)
    await assert_cancelled(child)
    assert flows.accounts.args("release_pending_account") == ["account-1"]
    # They were on the enrollment screens, which now say the page has expired.
    assert flows.senders.notices == []


async def test_a_closed_or_unknown_flow_cannot_be_cancelled_or_restarted(flows):
    handle = await registered(flows)
    await cancel_flow(flows.client, handle.id)
    with pytest.raises(FlowClosed, match="not running"):
        await restart_flow(flows.client, handle.id)
    with pytest.raises(FlowClosed):
        await cancel_flow(flows.client, handle.id)
    with pytest.raises(UnknownFlow, match="No flow"):
        await cancel_flow(flows.client, "registration-00000000-0000-0000-0000-000000000000")
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED


@pytest.mark.parametrize(
    "run, arg, prefix, step",
    [
        (LoginWorkflow.run, LoginStart("account-9", "email", "sam@example.com"), "login", "email"),
        (PasswordResetWorkflow.run, PasswordResetStart("account-9", "sam@example.com"), "password_reset", "email_code"),
        (RegistrationResetWorkflow.run, ResetStart("account-9", "registration_error", "sam@example.com"), "registration_reset", "check_email"),
    ],
)
async def test_other_flows_end_cancelled_and_restart_at_their_first_step(flows, run, arg, prefix, step):
    handle = await flows.start(run, arg, prefix=prefix)
    await flows.started(handle)
    restarted = await restart_flow(flows.client, handle.id)
    assert restarted.status == "cancelled"
    new = await latest(flows, handle.id)
    assert (await flows.until(new, step=step)).status == "running"
    cancelled = await cancel_flow(flows.client, handle.id)
    assert (cancelled.status, cancelled.old_run_id) == ("cancelled", restarted.new_run_id)
    assert (await new.describe()).status == WorkflowExecutionStatus.CANCELED
    # Nothing of the account was touched by either.
    assert not {"release_pending_account", "set_account_password", "revoke_sign_ins"} & {c for c, _ in flows.accounts.calls}


async def test_a_cancelled_registration_reset_refuses_its_link(flows):
    handle = await flows.start(RegistrationResetWorkflow.run, ResetStart("account-9", "registration_error", "sam@example.com"),
                               prefix="registration_reset")
    await flows.link_taken_in(handle)
    await cancel_flow(flows.client, handle.id)
    with pytest.raises(RPCError):
        await click(flows, handle)

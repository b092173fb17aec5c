"""Provider Administrator Reset Registration in the time-skipping environment: what the reset
does, the emailed link over its 7-day life, the hand-over to enrollment, a second reset while
one is pending, and an operator's cancel."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError, RPCStatusCode

from activities.contracts import MfaChoice
from api import admin_resets
from tests.workflows.fakes import NEW_ACCOUNT
from workflows.admin_reset import AdminResetStart, AdminResetView, ProviderAdminResetWorkflow, admin_reset_id
from workflows.enrollment import EnrollmentStart
from workflows.flow import OPERATOR_RESTART, FlowView

ADMIN = "admin-account"
EMAIL = NEW_ACCOUNT.email


async def request_reset(flows, account_id: str, request_id: str = "request-1") -> AdminResetView | None:
    """What the API does (api/admin_resets.py): update-with-start, answered once applied."""
    start = AdminResetStart(account_id, ADMIN, request_id, email=EMAIL, first_name="Pat")
    return await admin_resets.request_reset(flows.client, flows.task_queue, start)


async def signal_reset(flows, account_id: str, request_id: str):
    """What an API from before ``request_reset`` did: signal-with-start, then watch the view."""
    start = AdminResetStart(account_id, ADMIN, request_id, email=EMAIL, first_name="Pat")
    return await flows.client.start_workflow(
        ProviderAdminResetWorkflow.run, start, id=admin_reset_id(account_id), task_queue=flows.task_queue,
        start_signal="restart", start_signal_args=[start],
    )


async def waiting(flows, account_id: str, request_id: str = "request-1"):
    """The flow of this request (the latest run), once its link is out."""
    handle = flows.client.get_workflow_handle(admin_reset_id(account_id))
    await flows.until(handle, lambda view: view.request_id == request_id, step="awaiting_user")
    return handle


async def reset(flows, request_id: str = "request-1"):
    account_id = str(uuid.uuid4())
    await request_reset(flows, account_id, request_id)
    return account_id, await waiting(flows, account_id, request_id)


async def click(flows, handle, token: str = "link-token-for-tests") -> FlowView:
    before = (await flows.view(handle)).links_refused
    await handle.signal("link_clicked", flows.senders.link_digest(token))
    return await flows.until(handle, lambda view: view.link_clicked or view.links_refused > before)


async def begin(handle, account_id: str) -> FlowView:
    return await handle.execute_update("begin_enrollment", account_id, result_type=AdminResetView)


def ended(flows) -> list[str]:
    return [end.state for _, end in flows.accounts.args("mark_admin_reset_ended")]


async def test_the_request_is_answered_once_the_reset_is_applied(flows):
    account_id = str(uuid.uuid4())
    view = await request_reset(flows, account_id)
    # Nothing watched the view: the answer itself says the reset is done and the link out.
    assert view is not None and (view.request_id, view.step) == ("request-1", "awaiting_user")
    assert [name for name, _ in flows.accounts.calls][:3] == ["mark_admin_reset_pending", "clear_mfa_registration", "revoke_sign_ins"]
    assert len(flows.senders.links) == 1


async def test_the_reset_clears_mfa_ends_sign_ins_and_emails_a_7_day_link(flows):
    account_id, handle = await reset(flows)
    order = [name for name, _ in flows.accounts.calls if name != "record_audit"]
    assert order == ["mark_admin_reset_pending", "clear_mfa_registration", "revoke_sign_ins"]
    [requested] = flows.accounts.args("mark_admin_reset_pending")
    assert (requested.account_id, requested.requested_by) == (account_id, ADMIN)
    [link] = flows.senders.links
    assert (link.to, link.template, link.path, link.greeting_name) == (EMAIL, "admin_reset_link", "/admin-reset/confirm", "Pat")
    assert link.expires_in_seconds == 7 * 24 * 60 * 60
    view = await flows.view(handle)
    assert (view.process, view.status) == ("admin_reset", "running")
    # The link email is the owner's notice of the reset, and is audited as one.
    await flows.audited("notice.sent", 1)
    [notice] = [e for e in flows.accounts.args("record_audit") if e.event == "notice.sent"]
    assert notice.detail["template"] == "admin_reset_link"


async def test_the_browser_whose_first_login_started_the_enrollment_is_signed_in_by_its_last_answer(flows):
    account_id, handle = await reset(flows)
    await click(flows, handle)
    view = await handle.execute_update("begin_enrollment", args=[account_id, "c" * 64], result_type=AdminResetView)
    child = flows.child(view)
    assert (await flows.started_with(child, EnrollmentStart)).claim == "c" * 64
    # A second first login (another tab) goes to the same enrollment, whose claim stays the first's.
    again = await handle.execute_update("begin_enrollment", args=[account_id, "d" * 64], result_type=AdminResetView)
    assert again.enrollment_flow == child.id


async def test_link_clicked_after_6_days_works_and_the_user_re_registers(flows):
    account_id, handle = await reset(flows)
    await flows.fast_forward(handle, days=6)
    assert (await click(flows, handle)).link_clicked
    assert "admin_reset.link_clicked" in flows.accounts.audit_events()

    view = await begin(handle, account_id)
    child = flows.child(view)
    # Signing in twice (say, two tabs) hands over the same enrollment.
    assert (await begin(handle, account_id)).enrollment_flow == child.id
    child_start = await flows.started_with(child, EnrollmentStart)
    assert (child_start.purpose, child_start.email, child_start.requires_terms) == ("admin_reset", EMAIL, False)
    assert (await flows.view(child)).step == "method"  # a fresh registration, not a resumed one

    assert await flows.enroll_by_email(child, EMAIL) == account_id
    assert await handle.result() == "re_registered"
    assert flows.accounts.args("complete_mfa_registration") == [MfaChoice(account_id, "email", "", audited=True)]
    assert ended(flows) == ["re_registered"]
    assert (await flows.view(handle)).step == "complete"


async def test_the_link_is_single_use(flows):
    _, handle = await reset(flows)
    assert (await click(flows, handle)).link_clicked
    assert (await click(flows, handle)).links_refused == 1


async def test_after_7_days_without_re_registration_the_reset_expires(flows):
    account_id, handle = await reset(flows)
    await flows.fast_forward(handle, days=7, minutes=1)
    assert await handle.result() == "expired"
    assert ended(flows) == ["expired"]
    # The link is refused: its flow has ended (the first-login link still works without it:
    # the edge reads NOT_FOUND as "no reset pending" and enrolls the user on its own).
    for refused in (handle.signal("link_clicked", flows.senders.link_digest()), begin(handle, account_id)):
        with pytest.raises(RPCError) as gone:
            await refused
        assert gone.value.status == RPCStatusCode.NOT_FOUND


async def test_first_login_works_without_the_link(flows):
    account_id, handle = await reset(flows)
    child = flows.child(await begin(handle, account_id))
    assert await flows.enroll_by_email(child, EMAIL) == account_id
    assert await handle.result() == "re_registered"


async def test_an_abandoned_enrollment_can_start_again_within_the_life(flows):
    account_id, handle = await reset(flows)
    first = flows.child(await begin(handle, account_id))
    await flows.fast_forward(first, hours=2)  # the enrollment's idle hour passes
    assert await first.result() == "abandoned"
    await flows.until(handle, step="awaiting_user")
    second = flows.child(await begin(handle, account_id))
    assert second.id != first.id
    assert await flows.enroll_by_email(second, EMAIL) == account_id
    assert await handle.result() == "re_registered"


async def test_only_the_account_itself_is_handed_over(flows):
    _, handle = await reset(flows)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await begin(handle, "someone-else")
    assert refused.value.cause.type == "FieldError"


async def test_a_second_reset_restarts_the_first(flows):
    flows.senders.next_link_tokens = ["first-link", "second-link"]
    account_id, first = await reset(flows)
    first_run = (await first.describe()).run_id
    enrollment = flows.child(await begin(first, account_id))

    answer = await request_reset(flows, account_id, "request-2")
    assert answer is not None and (answer.request_id, answer.step) == ("request-2", "awaiting_user")
    second = await waiting(flows, account_id, "request-2")

    old_run = flows.client.get_workflow_handle(admin_reset_id(account_id), run_id=first_run)
    assert (await old_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert (await enrollment.describe()).status == WorkflowExecutionStatus.CANCELED
    assert [(run, end.state) for run, end in flows.accounts.args("mark_admin_reset_ended")] == [(first_run, "restarted")]
    assert [r.requested_by for r in flows.accounts.args("mark_admin_reset_pending")] == [ADMIN, ADMIN]
    assert len(flows.senders.links) == 2

    # One flow runs for the user; the first link opens nothing, the second does.
    assert (await click(flows, second, "first-link")).links_refused == 1
    assert (await click(flows, second, "second-link")).link_clicked
    child = flows.child(await begin(second, account_id))
    assert child.id != enrollment.id
    assert await flows.enroll_by_email(child, EMAIL) == account_id
    assert await second.result() == "re_registered"
    assert ended(flows) == ["restarted", "re_registered"]


async def test_an_api_from_before_the_update_restarts_a_reset_by_signal(flows):
    account_id, first = await reset(flows)
    first_run = (await first.describe()).run_id
    await signal_reset(flows, account_id, "request-2")
    await waiting(flows, account_id, "request-2")
    assert [(run, end.state) for run, end in flows.accounts.args("mark_admin_reset_ended")] == [(first_run, "restarted")]
    assert len(flows.senders.links) == 2


async def test_the_same_request_twice_does_not_restart(flows):
    account_id, handle = await reset(flows)
    await request_reset(flows, account_id)  # a retried request: same id
    await handle.signal("link_clicked", "0" * 64)  # a no-op, to be sure the restart was seen
    await flows.until(handle, lambda view: view.links_refused == 1)
    assert len(flows.senders.links) == 1 and ended(flows) == []


async def test_cancelling_cancels_the_enrollment_and_ends_the_reset(flows):
    account_id, handle = await reset(flows)
    enrollment = flows.child(await begin(handle, account_id))
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert (await enrollment.describe()).status == WorkflowExecutionStatus.CANCELED
    assert ended(flows) == ["cancelled"]
    assert (await flows.view(handle)).step == "cancelled"
    # MFA stays cleared: nothing set it back, so the plain first login still works.
    assert flows.accounts.args("complete_mfa_registration") == []


async def test_supports_restart_records_the_reset_as_restarted_not_cancelled(flows):
    account_id, handle = await reset(flows)
    await handle.signal(OPERATOR_RESTART)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert ended(flows) == ["restarted"]  # support starts the new run; the reset is not over

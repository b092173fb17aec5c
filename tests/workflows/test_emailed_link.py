"""The emailed link in the time-skipping environment, on the flows that send one. Its
``open_link`` update: one call answers what the click opened, a link that cannot open is turned
away before anything reaches history, and the browser whose click was taken gets its answer
again. And the clicks signalled as API processes from before it send them: a wrong token does
nothing, a link works once, and its repeat by the same browser is no refusal."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from tests.workflows.harness import presses_accepted
from tests.workflows.test_admin_reset import reset
from tests.workflows.test_registration import assert_cancelled, click, enrolling, refusals, registered, start, submit
from workflows.emailed_link import LINK_REFUSED, EmailedLink, LinkClick, LinkOpened
from workflows.flow import FIELD_ERROR

MINE, THEIRS = "a" * 64, "b" * 64


async def open_link(flows, handle, *, token: str = "", browser: str = MINE) -> LinkOpened:
    digest = flows.senders.link_digest(token) if token else flows.senders.link_digest()
    return await handle.execute_update(EmailedLink.open_link, LinkClick(digest, browser))


async def refused(opening) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await opening
    assert (failed.value.cause.type, failed.value.cause.message) == (FIELD_ERROR, LINK_REFUSED)


async def test_one_call_answers_with_the_enrollment_the_link_opened_and_its_account(flows):
    handle = await registered(flows)
    opened = await open_link(flows, handle)
    view = await flows.view(handle)
    assert (view.step, opened) == ("enrolling", LinkOpened("account-1", view.enrollment_flow))
    assert "registration.email_link_clicked" in flows.accounts.audit_events()


async def test_a_forged_expired_or_taken_link_is_turned_away_before_history(flows):
    handle = await registered(flows)
    await refused(open_link(flows, handle, token="someone-elses-token"))
    await open_link(flows, handle)
    await refused(open_link(flows, handle, browser=THEIRS))  # forwarded, or opened elsewhere
    await refused(open_link(flows, handle, browser=""))
    assert (await presses_accepted(handle)).count("open_link") == 1

    late = await registered(flows)
    await flows.fast_forward(late, minutes=21)
    await refused(open_link(flows, late))


async def test_the_browser_whose_click_was_taken_gets_the_same_answer_again(flows):
    # Its first answer was lost (the API process died mid-request) or was "try again".
    handle = await registered(flows)
    first = await open_link(flows, handle)
    assert await open_link(flows, handle) == first


async def test_a_click_faster_than_the_send_result_is_answered_once_the_link_is_recorded(flows):
    # The mail server has the email (and the person clicks) before the flow has the send's result.
    flows.senders.hold_link = asyncio.Event()
    handle = await start(flows)
    await submit(handle)
    await asyncio.wait_for(flows.senders.link_out.wait(), timeout=10)
    opening = asyncio.create_task(open_link(flows, handle))
    await asyncio.sleep(0.5)
    assert not opening.done()
    flows.senders.hold_link.set()
    opened = await asyncio.wait_for(opening, timeout=30)
    assert opened.enrollment_flow == (await flows.view(handle)).enrollment_flow


async def test_an_admin_reset_link_answers_once_the_click_is_audited(flows):
    account_id, handle = await reset(flows, request_id=str(uuid.uuid4()))
    assert await open_link(flows, handle) == LinkOpened(account_id)
    assert "admin_reset.link_clicked" in flows.accounts.audit_events()
    await refused(open_link(flows, handle, browser=THEIRS))


async def test_an_admin_reset_link_past_its_seven_days_is_refused(flows):
    _, handle = await reset(flows, request_id=str(uuid.uuid4()))
    await flows.fast_forward(handle, days=7, minutes=1)
    with pytest.raises(RPCError) as ended:  # the flow has ended: no update reaches it
        await open_link(flows, handle)
    assert ended.value.status == RPCStatusCode.NOT_FOUND


async def test_a_cancel_while_the_click_is_acted_on_lets_the_waiting_browser_go(flows):
    # Support cancels the registration after its click was taken, before enrollment started:
    # the clean-up waits for running handlers, and the one waiting on the click must end.
    handle = await registered(flows)
    release = asyncio.Event()
    flows.accounts.hold_audit = ("registration.email_link_clicked", release)
    opening = asyncio.create_task(open_link(flows, handle))
    await asyncio.wait_for(flows.accounts.auditing.wait(), timeout=10)
    await handle.cancel()
    release.set()
    await asyncio.wait_for(assert_cancelled(handle), timeout=30)  # not stuck on the waiting handler
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await asyncio.wait_for(opening, timeout=10)
    assert flows.accounts.args("release_pending_account") == ["account-1"]


async def test_a_wrong_token_does_nothing(flows):
    handle = await registered(flows)
    await click(flows, handle, flows.senders.link_digest("someone-elses-token"))
    assert (await flows.until(handle, refusals(1))).step == "check_email"
    await click(flows, handle)
    await flows.until(handle, step="enrolling")


async def test_the_link_works_once(flows):
    handle, child = await enrolling(flows)
    await click(flows, handle)
    view = await flows.until(handle, refusals(1))
    assert (view.step, view.enrollment_flow) == ("enrolling", child.id)


async def test_the_browser_whose_click_was_taken_is_known_and_its_repeat_is_no_refusal(flows):
    # The page told that browser "try again" (the flow was slow): its second open must find
    # its own click taken, while another browser with the same link is refused.
    handle = await registered(flows)
    await handle.signal("link_clicked_by", LinkClick(flows.senders.link_digest(), MINE))
    await flows.until(handle, step="enrolling")
    await handle.signal("link_clicked_by", LinkClick(flows.senders.link_digest(), MINE))
    await handle.signal("link_clicked_by", LinkClick(flows.senders.link_digest(), THEIRS))
    await flows.until(handle, refusals(1))
    assert await handle.query("took_click", MINE, result_type=bool)
    assert not await handle.query("took_click", THEIRS, result_type=bool)
    assert not await handle.query("took_click", "", result_type=bool)

"""How a new provider registration ends, in the time-skipping environment: with its enrollment
child completed or abandoned, or cancelled at any step (at user information, while the account
is made, at check email, while the link is sent, while enrolling), the pending account
released whenever one was made."""

from __future__ import annotations

import asyncio

from tests.workflows.fakes import NEW_ACCOUNT
from tests.workflows.test_registration import assert_cancelled, enrolling, registered, start, submit
from workflows.timings import Timings


async def test_a_completed_enrollment_completes_the_registration(flows):
    handle, child = await enrolling(flows)
    assert await flows.enroll_by_email(child, NEW_ACCOUNT.email) == "account-1"
    assert flows.accounts.args("accept_terms")
    assert await handle.result() == "completed"
    view = await flows.view(handle)
    assert (view.step, view.status) == ("complete", "completed")


async def test_an_abandoned_enrollment_ends_the_registration_and_keeps_the_account(flows):
    handle, child = await enrolling(flows)
    await flows.fast_forward(child, seconds=Timings().idle_seconds + 60)
    assert await handle.result() == "abandoned"
    assert (await flows.view(handle)).step == "enrollment_abandoned"
    # What was verified stays saved: "having trouble logging in" finishes it later.
    assert flows.accounts.args("release_pending_account") == []


async def test_cancelled_at_user_info_has_nothing_to_release(flows):
    handle = await start(flows)
    await handle.cancel()
    await assert_cancelled(handle)
    assert (await flows.view(handle)).step == "cancelled"
    assert flows.accounts.calls == []


async def test_cancelled_at_check_email_releases_the_pending_account(flows):
    handle = await registered(flows)
    await handle.cancel()
    await assert_cancelled(handle)
    assert flows.accounts.args("release_pending_account") == ["account-1"]
    assert "registration.cancelled" in flows.accounts.audit_events()


async def test_cancelled_while_enrolling_cancels_the_enrollment_and_releases(flows):
    handle, child = await enrolling(flows)
    await handle.cancel()
    await assert_cancelled(handle)
    await assert_cancelled(child)
    assert flows.accounts.args("release_pending_account") == ["account-1"]


async def test_cancelled_while_the_account_is_created_still_releases_it(flows):
    handle = await start(flows)
    flows.accounts.hold_creation = asyncio.Event()
    submission = asyncio.create_task(submit(handle))
    await flows.accounts.creating.wait()
    # The step runs inside the workflow task that asked for it (a local activity): the flow
    # takes the cancellation once the account is made, whatever the order of the two.
    await handle.cancel()
    flows.accounts.hold_creation.set()
    assert (await submission).step == "check_email"
    await assert_cancelled(handle)
    assert flows.accounts.args("release_pending_account") == ["account-1"]


async def test_cancelled_while_the_link_is_sent_releases_instead_of_reporting_a_send_failure(flows):
    handle = await start(flows)
    flows.senders.hold_link = asyncio.Event()
    assert (await submit(handle)).step == "check_email"
    await flows.senders.link_out.wait()
    await handle.cancel()
    try:
        await assert_cancelled(handle)
    finally:
        flows.senders.hold_link.set()
    assert (await flows.view(handle)).step == "cancelled"
    assert flows.accounts.args("release_pending_account") == ["account-1"]

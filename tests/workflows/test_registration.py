"""New provider registration in the time-skipping environment: user information, the 20-minute
link that starts enrollment, the pending account nobody verified, and the search attributes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError

from activities.contracts import UserInformation
from tests.workflows.fake_accounts import TAKEN_EMAIL, TAKEN_USERNAME, USERNAME_TAKEN
from tests.workflows.fakes import NEW_ACCOUNT, PERSON, PROVIDER_ID, PROVIDER_NPI
from tests.workflows.harness import without_clock
from workflows.deliveries import STILL_SENDING_LINK
from workflows.emailed_link import LinkClick
from workflows.enrollment import EnrollmentStart
from workflows.flow import FlowView
from workflows.registration import ProviderRegistrationWorkflow, RegistrationStart
from workflows.timings import Timings


async def start(flows):
    arg = RegistrationStart(provider_id=PROVIDER_ID, provider_npi=PROVIDER_NPI, provider_name="Demo Family Practice")
    return await flows.start(ProviderRegistrationWorkflow.run, arg, prefix="registration")


async def submit(handle, person: UserInformation = PERSON) -> FlowView:
    return await handle.execute_update("submit_user_info", person, result_type=FlowView)


async def registered(flows):
    """A registration waiting for its link to be clicked."""
    handle = await start(flows)
    assert (await submit(handle)).step == "check_email"
    await flows.link_taken_in(handle)
    return handle


async def click(flows, handle, digest: str = "") -> None:
    await handle.signal("link_clicked", digest or flows.senders.link_digest())


async def enrolling(flows):
    """A registration whose link was clicked, and its enrollment child."""
    handle = await registered(flows)
    await click(flows, handle)
    view = await flows.until(handle, step="enrolling")
    return handle, flows.child(view)


async def search_attributes(handle) -> dict[str, object]:
    description = await handle.describe()
    return {pair.key.name: pair.value for pair in description.typed_search_attributes}


async def assert_cancelled(handle) -> None:
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)


@pytest.mark.parametrize("field_name", ["username", "first_name", "last_name", "email", "fax"])
async def test_starred_fields_are_required(flows, field_name):
    handle = await start(flows)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await submit(handle, dataclasses.replace(PERSON, **{field_name: "  "}))
    assert refused.value.cause.type == "FieldError"
    assert (refused.value.cause.details[0], refused.value.cause.message) == (field_name, "This field is required.")
    assert flows.accounts.args("create_pending_account") == []


async def test_a_taken_username_is_shown_on_the_form_and_another_goes_through(flows):
    handle = await start(flows)
    view = await submit(handle, dataclasses.replace(PERSON, username=TAKEN_USERNAME))
    assert (view.step, view.errors) == ("user_info", {"username": USERNAME_TAKEN})
    view = await submit(handle)
    assert (view.step, view.errors) == ("check_email", {})


async def test_user_info_creates_a_pending_account_and_emails_the_link(flows):
    handle = await start(flows)
    view = await submit(handle)
    assert "within 20 minutes" in view.notice
    assert flows.accounts.args("create_pending_account") == [NEW_ACCOUNT]
    await flows.link_taken_in(handle)
    [link] = flows.senders.links
    assert (link.to, link.template, link.path) == (NEW_ACCOUNT.email, "registration_link", "/register/confirm")
    assert (link.expires_in_seconds, link.greeting_name) == (20 * 60, "Pat")


async def test_the_account_joins_the_organization_whose_code_started_the_registration(flows):
    # An edge from before this flow added it named the organization itself: it is not heard.
    handle = await start(flows)
    await submit(handle, dataclasses.replace(NEW_ACCOUNT, provider_id=PROVIDER_ID + 1))
    assert [account.provider_id for account in flows.accounts.args("create_pending_account")] == [PROVIDER_ID]


async def test_next_pressed_again_on_a_finished_screen_is_refused_as_stale(flows):
    handle = await start(flows)
    await submit(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await submit(handle)
    assert list(refused.value.cause.details) == ["form", "stale"]
    assert len(flows.accounts.args("create_pending_account")) == 1


async def test_a_link_sent_through_a_mail_outage_says_so_and_arrives_once_mail_is_back(flows):
    flows.senders.provider_down = True
    handle = await start(flows)
    assert (await submit(handle)).step == "check_email"  # the press is answered; the send goes on
    await flows.until(handle, lambda _: flows.senders.refused >= 1)
    await flows.fast_forward(handle, seconds=9)
    slow = await flows.until(handle, notice=STILL_SENDING_LINK)
    assert slow.step == "check_email"
    flows.senders.provider_down = False
    await flows.until(handle, lambda view: "within 20 minutes" in view.notice)
    await flows.link_taken_in(handle)
    assert len(flows.senders.links) == 1
    await click(flows, handle)
    await flows.until(handle, step="enrolling")


async def test_link_clicked_at_19_minutes_starts_enrollment(flows):
    handle = await registered(flows)
    await flows.fast_forward(handle, minutes=19)
    await click(flows, handle)
    view = await flows.until(handle, step="enrolling")
    start = await flows.started_with(flows.child(view), EnrollmentStart)
    assert (start.account_id, start.purpose, start.email) == ("account-1", "registration", NEW_ACCOUNT.email)
    assert start.requires_terms is True
    assert "registration.email_link_clicked" in flows.accounts.audit_events()


async def test_the_claim_that_came_with_the_click_is_the_enrollments(flows):
    """The browser the enrollment will be bound to is known by its claim: the enrollment's
    last answer then signs it in (workflows/sign_in_hand_over.py)."""
    handle = await registered(flows)
    opened = await handle.execute_update("open_link", LinkClick(flows.senders.link_digest(), "k" * 64, "c" * 64))
    start = await flows.started_with(flows.child(await flows.until(handle, step="enrolling")), EnrollmentStart)
    assert start.claim == "c" * 64 and opened["enrollment_flow"] == (await flows.view(handle)).enrollment_flow


@pytest.mark.parametrize(("seconds", "child_gets"), [(2, timedelta(seconds=2)), (0, timedelta(seconds=10))])
async def test_the_enrollment_waits_on_a_lost_task_as_long_as_its_registration_was_told(flows, seconds, child_gets):
    """FLOW_TASK_TIMEOUT comes with the start's timings; a run from before it (0) leaves its
    child Temporal's default."""
    arg = RegistrationStart(PROVIDER_ID, PROVIDER_NPI, "Demo Family Practice", Timings(task_timeout_seconds=seconds))
    handle = await flows.start(ProviderRegistrationWorkflow.run, arg, prefix="registration")
    assert (await submit(handle)).step == "check_email"
    await flows.link_taken_in(handle)
    await click(flows, handle)
    history = await flows.child(await flows.until(handle, step="enrolling")).fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.workflow_task_timeout.ToTimedelta() == child_gets


async def test_link_clicked_at_21_minutes_is_a_registration_error(flows):
    handle = await registered(flows)
    await flows.fast_forward(handle, minutes=21)
    view = await flows.until(handle, step="registration_error")
    assert view.status == "failed"
    await click(flows, handle)
    await flows.until(handle, refusals(1))
    # The pending account keeps its data for now: the Reset path completes it.
    assert flows.accounts.args("release_pending_account") == []
    assert flows.accounts.args("expire_unverified_account") == []
    assert "registration.link_expired" in flows.accounts.audit_events()


async def test_an_account_nobody_verified_is_released_a_day_after_it_was_made(flows):
    """Anyone can type anyone's address: a pending account for victim@clinic.org must not
    keep the real person from registering for ever."""
    handle = await registered(flows)
    await flows.fast_forward(handle, hours=23, minutes=58)
    await flows.until(handle, step="registration_error")
    assert "account-1" in flows.accounts.saved
    await flows.fast_forward(handle, minutes=3)
    assert await handle.result() == "link_expired"
    assert flows.accounts.args("expire_unverified_account") == ["account-1"]
    assert "account-1" not in flows.accounts.saved
    assert "registration.account_expired" in flows.accounts.audit_events()


async def test_an_account_verified_meanwhile_through_reset_is_kept(flows):
    handle = await registered(flows)
    await flows.fast_forward(handle, minutes=21)
    await flows.until(handle, step="registration_error")
    flows.accounts.saved["account-1"] = dataclasses.replace(flows.accounts.saved["account-1"], email_verified=True)
    await flows.fast_forward(handle, days=1)
    assert await handle.result() == "link_expired"
    assert "account-1" in flows.accounts.saved
    assert "registration.account_expired" not in flows.accounts.audit_events()


async def test_support_releases_an_unverified_account_at_once_by_cancelling_its_registration(flows):
    handle = await registered(flows)
    await flows.fast_forward(handle, minutes=21)
    await flows.until(handle, step="registration_error")
    await handle.cancel()
    await assert_cancelled(handle)
    assert flows.accounts.args("release_pending_account") == ["account-1"]


async def test_an_address_already_registered_answers_as_a_new_one_and_its_owner_is_told(flows):
    taken = await start(flows)
    new = await start(flows)
    view = await submit(taken, dataclasses.replace(PERSON, username="pat.again", email=TAKEN_EMAIL))
    # Exactly what a new address gets: the same screen, the same words.
    assert without_clock(view) == without_clock(await submit(new))
    [notice] = await flows.notices_until(1)
    assert (notice.to, notice.template, notice.detail) == (TAKEN_EMAIL, "registration_email_exists", {"holder": "account"})
    await flows.link_taken_in(new)
    assert [link.to for link in flows.senders.links] == [NEW_ACCOUNT.email]  # no link for the taken one
    await flows.fast_forward(taken, minutes=21)
    assert await taken.result() == "link_expired"
    assert (await flows.view(taken)).step == "registration_error"
    assert "registration.email_exists" in flows.accounts.audit_events()


def refusals(count: int):
    return lambda view: view.links_refused == count


async def test_a_click_faster_than_the_send_result_still_counts(flows):
    # The mail server has the email (and the person clicks) before the flow has the send's result.
    flows.senders.hold_link = asyncio.Event()
    handle = await start(flows)
    await submit(handle)
    await asyncio.wait_for(flows.senders.link_out.wait(), timeout=10)
    await click(flows, handle)
    flows.senders.hold_link.set()
    view = await flows.until(handle, step="enrolling")
    assert view.links_refused == 0


async def test_a_second_next_is_refused_while_the_first_is_saved(flows):
    handle = await start(flows)
    flows.accounts.hold_creation = asyncio.Event()
    first = asyncio.create_task(submit(handle))
    await flows.accounts.creating.wait()
    # The step runs inside the workflow task that asked for it (a local activity): the second
    # press is taken once the first is saved.
    second = asyncio.create_task(submit(handle))
    await asyncio.sleep(0.2)
    flows.accounts.hold_creation.set()
    assert (await first).step == "check_email"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await second
    assert refused.value.cause.details[0] == "form"
    assert len(flows.accounts.args("create_pending_account")) == 1


async def test_search_attributes_follow_the_registration_without_personal_data(flows):
    handle = await start(flows)
    await flows.started(handle)
    attributes = await search_attributes(handle)
    assert attributes["AtrezzoProcess"] == "registration" and attributes["AtrezzoStep"] == "user_info"
    assert attributes["AtrezzoProviderNpi"] == PROVIDER_NPI and "AtrezzoAccountId" not in attributes
    await submit(handle)
    await flows.link_taken_in(handle)
    attributes = await search_attributes(handle)
    assert (attributes["AtrezzoStep"], attributes["AtrezzoAccountId"]) == ("check_email", "account-1")
    await flows.fast_forward(handle, minutes=19)
    await click(flows, handle)
    child = flows.child(await flows.until(handle, step="enrolling"))
    enrolling_attributes = await search_attributes(handle)
    assert enrolling_attributes["AtrezzoStep"] == "enrolling"
    # What "waiting for the email link for over 15 minutes" is asked with.
    assert enrolling_attributes["AtrezzoStepSince"] - attributes["AtrezzoStepSince"] >= timedelta(minutes=19)
    await flows.started(child)  # the child sets its attributes in its first task
    child_attributes = await search_attributes(child)
    assert (child_attributes["AtrezzoProcess"], child_attributes["AtrezzoAccountId"]) == ("enrollment", "account-1")
    personal = {NEW_ACCOUNT.username, NEW_ACCOUNT.first_name, NEW_ACCOUNT.last_name, NEW_ACCOUNT.email, NEW_ACCOUNT.fax}
    for value in [*attributes.values(), *child_attributes.values()]:
        assert not any(item in str(value) for item in personal)

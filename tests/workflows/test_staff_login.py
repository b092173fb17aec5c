"""The Kepro box's LOGIN as a flow, in the time-skipping environment: the identity the edge
checked signs the browser that pressed LOGIN in, once; a refusal, by the edge or for the
account, ends it; with no answer from the provider it expires; and nothing comes twice."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from tests.workflows.harness import presses_accepted
from workflows.flow import FlowView
from workflows.sign_in_hand_over import ClaimedSignIn
from domain.staff_identity import StaffIdentity
from workflows.staff_login import REFUSALS, StaffLoginStart, StaffLoginWorkflow

CLAIM = "c" * 64
IDENTITY = StaffIdentity("https://idp.example", "sub-1", "pat.staff@kepro.com", "Pat", "Staff", "Pat Staff", ("kepro-staff",))


async def start(flows, claim: str = CLAIM, timeout: int = 600):
    return await flows.start(StaffLoginWorkflow.run, StaffLoginStart(timeout, claim=claim), prefix="staff_login")


async def sign_in_as(handle, identity: StaffIdentity = IDENTITY) -> FlowView:
    return await handle.execute_update(StaffLoginWorkflow.sign_in_as, identity)


async def test_the_checked_identity_signs_the_starting_browser_in_once(flows):
    handle = await start(flows)
    assert (await flows.view(handle)).step == "at_provider"
    view = await sign_in_as(handle)
    assert (view.step, view.status, view.grant) == ("done", "completed", "staff-sub-1")
    assert flows.accounts.args("staff_account") == [IDENTITY]
    # The grant went with that answer: the flow ends, and no browser claims it again.
    assert await handle.result() == "signed_in"
    with pytest.raises(RPCError):
        await handle.execute_update("claim_sign_in", CLAIM, result_type=str)
    repeated = await handle.query("repeat_claim", CLAIM, result_type=ClaimedSignIn)
    assert repeated is not None and repeated.account_id == "staff-sub-1"


@pytest.mark.parametrize("first", ["signed in", "refused"])
async def test_a_second_answer_is_refused(flows, first):
    flows.accounts.staff_refusals["sub-1"] = "" if first == "signed in" else "disabled"
    handle = await start(flows, timeout=600)
    # A claim that never comes keeps a signed-in flow open for its window: the second
    # answer meets the flow, not its end.
    await handle.execute_update(StaffLoginWorkflow.sign_in_as, IDENTITY)
    for update, arg in ((StaffLoginWorkflow.sign_in_as, IDENTITY), (StaffLoginWorkflow.refuse, "token")):
        with pytest.raises((WorkflowUpdateFailedError, RPCError)) as refused:
            await handle.execute_update(update, arg)
        if isinstance(refused.value, WorkflowUpdateFailedError):
            assert refused.value.cause.type == "FieldError"
    assert len(flows.accounts.args("staff_account")) == 1


@pytest.mark.parametrize("reason", sorted(set(REFUSALS) - {"disabled", "other_identity"}))
async def test_the_edges_refusal_ends_the_flow_with_its_message(flows, reason):
    handle = await start(flows)
    view = await handle.execute_update(StaffLoginWorkflow.refuse, reason)
    assert (view.step, view.status, view.errors, view.error_codes, view.grant) == (
        "refused", "failed", {"form": REFUSALS[reason]}, {"form": reason}, ""
    )
    assert await handle.result() == "refused"
    assert flows.accounts.args("staff_account") == []


@pytest.mark.parametrize("reason", ["disabled", "other_identity"])
async def test_an_account_that_may_not_sign_in_ends_the_flow_without_a_grant(flows, reason):
    flows.accounts.staff_refusals["sub-1"] = reason
    handle = await start(flows)
    view = await sign_in_as(handle)
    assert (view.step, view.errors, view.grant) == ("refused", {"form": REFUSALS[reason]}, "")
    assert await handle.result() == "refused"


async def test_an_unknown_refusal_or_an_empty_identity_is_turned_away_before_history(flows):
    handle = await start(flows)
    for update, arg in ((StaffLoginWorkflow.refuse, "because"), (StaffLoginWorkflow.sign_in_as, StaffIdentity("", "", ""))):
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(update, arg)
    assert (await flows.view(handle)).step == "at_provider"
    assert await presses_accepted(handle) == []


async def test_no_answer_from_the_provider_within_its_timeout_expires_it(flows):
    handle = await start(flows, timeout=600)
    await flows.started(handle)
    await flows.fast_forward(handle, seconds=601)
    assert await handle.result() == "expired"
    view = await flows.view(handle)
    assert (view.step, view.status) == ("expired", "failed")

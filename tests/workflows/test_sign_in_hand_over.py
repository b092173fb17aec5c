"""The sign-in a finished flow hands over (workflows/sign_in_hand_over.py), through login,
password reset and enrollment: with the claim of the browser it was started for, the update that finishes
the flow answers with the sign-in, once, and the claim it was started with repeats it (a lost
answer); started without one (an API from before), it is claimed as before."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.terms import TERMS_VERSION
from tests.workflows import test_enrollment as enrollment
from tests.workflows import test_password_reset as reset
from tests.workflows.fakes import CODE
from tests.workflows.test_login import ACCOUNT, act, claim, start, verify
from workflows.enrollment import PhoneEntry
from workflows.flow import FlowView
from workflows.sign_in_hand_over import ClaimedSignIn

CLAIM = "c" * 64


async def test_the_update_that_finishes_a_login_answers_with_its_sign_in_once(flows):
    handle = await start(flows, "email", claim=CLAIM)
    await act(handle, "send_email_code")
    wrong = await verify(flows, handle, "000000" if CODE != "000000" else "111111")
    assert (wrong.step, wrong.grant) == ("email_code", "")
    # E-mail address verified ends the login: its answer carries the sign-in.
    done = await verify(flows, handle)
    assert (done.step, done.grant) == ("done", ACCOUNT)
    # Given once: the view never shows it, and no separate claim gets it again.
    assert (await flows.view(handle)).grant == ""
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await claim(handle)
    # The flow was waiting for its claim only: it ends at once.
    assert await handle.result() == "signed_in"
    taken = await handle.query("repeat_claim", CLAIM, result_type=ClaimedSignIn | None)
    assert taken is not None and taken.account_id == ACCOUNT
    assert await handle.query("repeat_claim", "d" * 64, result_type=ClaimedSignIn | None) is None


async def test_a_phone_login_is_granted_by_its_verified_code(flows):
    handle = await start(flows, "phone", claim=CLAIM)
    await act(handle, "send_phone_code", "sms")
    wrong = await verify(flows, handle, "000000" if CODE != "000000" else "111111")
    assert (wrong.step, wrong.grant) == ("phone_code", "")
    done = await verify(flows, handle)
    assert (done.step, done.grant) == ("done", ACCOUNT)


async def test_a_login_started_without_a_claim_is_claimed_as_before(flows):
    handle = await start(flows, "phone")
    await act(handle, "send_phone_code", "sms")
    done = await verify(flows, handle)
    assert (done.step, done.grant) == ("done", "")
    assert await claim(handle) == ACCOUNT
    assert await handle.result() == "signed_in"


async def test_a_refused_finish_grants_nothing(flows):
    handle = await start(flows, "email", claim=CLAIM)
    view: FlowView = await act(handle, "send_email_code")
    with pytest.raises(WorkflowUpdateFailedError):
        await act(handle, "continue_login")  # not verified yet: refused before history
    view = await flows.view(handle)
    assert (view.step, view.grant) == ("email_code", "")
    assert await handle.query("repeat_claim", CLAIM, result_type=ClaimedSignIn | None) is None


async def test_a_password_reset_is_granted_by_its_saved_password(flows):
    handle = await reset.start(flows, claim=CLAIM)
    await reset.verify(flows, handle)
    await reset.act(handle, "continue_reset")
    done = await reset.act(handle, "save_new_password")
    assert (done.step, done.grant) == ("done", reset.ACCOUNT)
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update("claim_sign_in", result_type=str)
    assert await handle.result() == "reset"


@pytest.mark.parametrize("last", ["save_password", "accept_terms", "verify_code", "use_email_instead"])
async def test_the_update_that_completes_an_enrollment_answers_with_its_sign_in_once(flows, last):
    handle = await enrollment.start(flows, claim=CLAIM, requires_terms=last == "accept_terms")
    method = "email" if last in ("save_password", "accept_terms") else "phone"
    await enrollment.reach(flows, handle, "password" if method == "email" else "phone", method)
    if last == "save_password":
        done = await enrollment.act(handle, "save_password")
    elif last == "accept_terms":
        assert (await enrollment.act(handle, "save_password")).step == "terms"
        done = await enrollment.act(handle, "accept_terms", TERMS_VERSION)
    elif last == "verify_code":
        await enrollment.act(handle, "submit_phone", PhoneEntry(enrollment.PHONE, "sms"))
        done = await enrollment.verify(flows, handle)
    else:
        done = await enrollment.act(handle, "use_email_instead")
    assert (done.step, done.grant) == ("done", enrollment.ACCOUNT)
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update("claim_sign_in", result_type=str)
    assert await handle.result() == "completed"
    taken = await handle.query("repeat_claim", CLAIM, result_type=ClaimedSignIn | None)
    assert taken is not None and taken.account_id == enrollment.ACCOUNT


async def test_an_enrollment_started_without_a_claim_is_claimed_as_before(flows):
    handle = await enrollment.start(flows)
    await enrollment.reach(flows, handle, "password", "email")
    done = await enrollment.act(handle, "save_password")
    assert (done.step, done.grant) == ("done", "")
    assert await handle.execute_update("claim_sign_in", result_type=str) == enrollment.ACCOUNT
    assert await handle.result() == "completed"

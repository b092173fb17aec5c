"""Sign in with a passkey alone (workflows/passkey_login.py) in the time-skipping environment:
the passkey names its account, whose sign-in the last answer hands over; a refused answer,
one for another ceremony, the idle timeout."""

from __future__ import annotations

from activities.contracts import PasskeyAnswer
from tests.workflows.fake_authenticator import signed
from workflows.flow import FlowView
from workflows.passkey_login import PasskeyLoginStart, PasskeyLoginWorkflow
from workflows.passkey_step import PASSKEY_REFUSED, PasskeyEntry
from workflows.timings import Timings

ACCOUNT = "account-42"


async def start(flows, **changes):
    arg = PasskeyLoginStart(**({"claim": "claim-digest"} | changes))
    return await flows.start(PasskeyLoginWorkflow.run, arg, prefix="passkey_login")


async def answer(handle, text: str) -> FlowView:
    return await handle.execute_update("answer_passkey", PasskeyEntry(text), result_type=FlowView)


async def test_the_passkey_names_the_account_it_signs_in(flows):
    flows.authenticator.passkeys[ACCOUNT] = ["Work laptop"]
    handle = await start(flows)
    view = await flows.view(handle)
    assert (view.step, view.passkey_ceremony) == ("passkey", 0)
    view = await answer(handle, signed(3))
    assert (view.step, view.errors, view.grant) == ("passkey", {"passkey": PASSKEY_REFUSED}, "")
    view = await answer(handle, signed(1))
    assert (view.step, view.status, view.grant) == ("done", "completed", ACCOUNT)
    assert flows.authenticator.calls[-1] == ("check_passkey_first", PasskeyAnswer("", 1, signed(1)))
    assert await handle.result() == "signed_in"
    [notice] = flows.senders.notices
    assert (notice.to, notice.template, dict(notice.detail)) == (f"{ACCOUNT}@example.com", "signed_in", {"method": "passkey"})


async def test_a_sign_in_left_alone_expires(flows):
    handle = await start(flows, timings=Timings(idle_seconds=300))
    await flows.fast_forward(handle, seconds=301)
    assert await handle.result() == "expired"
    assert (await flows.view(handle)).step == "expired"

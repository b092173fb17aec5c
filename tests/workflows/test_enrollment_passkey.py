"""The passkey method of enrollment (workflows/enrollment_passkey.py, workflows/passkey_step.py)
in the time-skipping environment: made after the password, named, checked by the worker for
this ceremony only, then recovery codes and the notice; a refused or replayed answer, too many
of them, and steps out of order."""

from __future__ import annotations

from activities.contracts import PasskeyAnswer
from domain.terms import TERMS_VERSION
from tests.workflows.fake_authenticator import signed
from tests.workflows.test_enrollment import ACCOUNT, EMAIL, act, reach, refusal, start
from workflows.passkey_step import MAX_NAME, NO_ANSWER, PASSKEY_LOCKED, PASSKEY_REFUSED, PasskeyEntry


async def at_passkey(flows, **changes):
    handle = await start(flows, **changes)
    await reach(flows, handle, "password", "passkey")
    view = await act(handle, "save_password")
    assert (view.step, view.passkey_ceremony) == ("passkey", 0)
    return handle


async def test_a_passkey_is_made_named_and_becomes_the_method(flows):
    handle = await at_passkey(flows, purpose="registration", requires_terms=True)
    view = await act(handle, "answer_passkey", PasskeyEntry(signed(0), "  Work   laptop "))
    assert (view.step, view.notice, view.errors) == ("recovery_codes", "Your passkey is saved.", {})
    assert flows.authenticator.calls == [
        ("register_passkey", PasskeyAnswer(ACCOUNT, 0, signed(0), name="Work laptop", as_method=True))
    ]
    assert flows.accounts.args("complete_mfa_registration") == []  # saved with the check
    assert (await act(handle, "recovery_codes_saved")).step == "terms"
    assert (await act(handle, "accept_terms", TERMS_VERSION)).status == "completed"
    [notice] = await flows.notices_until(1)
    assert (notice.to, notice.template, notice.detail["method"]) == (EMAIL, "mfa_registered", "passkey")


async def test_each_answer_is_for_one_ceremony_and_too_many_refusals_stop_it(flows):
    handle = await at_passkey(flows)
    view = await act(handle, "answer_passkey", PasskeyEntry("{}"))
    assert (view.errors, view.error_codes, view.passkey_ceremony) == ({"passkey": PASSKEY_REFUSED}, {"passkey": "wrong"}, 1)
    # An answer for the ceremony that was just refused is no good for the next one.
    view = await act(handle, "answer_passkey", PasskeyEntry(signed(0)))
    assert (view.step, view.passkey_ceremony) == ("passkey", 2)
    for _ in range(2):
        await act(handle, "answer_passkey", PasskeyEntry("{}"))
    view = await act(handle, "answer_passkey", PasskeyEntry("{}"))
    assert view.errors == {"passkey": PASSKEY_LOCKED}
    assert (await refusal(handle, "answer_passkey", PasskeyEntry(signed(5)))).message == PASSKEY_LOCKED


async def test_bad_entries_never_reach_history(flows):
    handle = await at_passkey(flows)
    assert (await refusal(handle, "answer_passkey", PasskeyEntry("  "))).message == NO_ANSWER
    assert (await refusal(handle, "answer_passkey", PasskeyEntry("x" * 20_000))).message == NO_ANSWER
    too_long = await refusal(handle, "answer_passkey", PasskeyEntry(signed(0), "n" * (MAX_NAME + 1)))
    assert too_long.details[0] == "name"
    assert flows.authenticator.calls == []
    other = await start(flows)
    await reach(flows, other, "password", "passkey")
    assert (await refusal(other, "answer_passkey", PasskeyEntry(signed(0)))).details[0] == "passkey"

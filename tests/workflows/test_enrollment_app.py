"""The authenticator-app method of enrollment (workflows/enrollment_app.py), in the
time-skipping environment: set up after the password, confirmed by the app's code, then the
recovery codes screen, the terms, and the notice; wrong codes, a new key, steps out of order."""

from __future__ import annotations

from activities.contracts import AppCode
from domain.terms import TERMS_VERSION
from tests.workflows.test_enrollment import ACCOUNT, EMAIL, act, reach, refusal, start
from workflows.answer_check import MAX_WRONG_TRIES
from workflows.app_code_step import APP_CODE_LOCKED, APP_CODE_WRONG


def app_code(flows, handle) -> str:
    return flows.senders.code_digest(handle.id, flows.authenticator.code(ACCOUNT))


async def at_app(flows, **changes):
    handle = await start(flows, **changes)
    await reach(flows, handle, "password", "app")
    view = await act(handle, "save_password")
    assert view.step == "app"
    return handle


async def test_the_app_is_set_up_after_the_password_and_confirmed_by_its_code(flows):
    handle = await at_app(flows, purpose="registration", requires_terms=True)
    assert flows.authenticator.calls == [("stage_authenticator_app", ACCOUNT)]
    view = await act(handle, "verify_app_code", app_code(flows, handle))
    assert (view.step, view.notice, view.errors) == ("recovery_codes", "Your authenticator app is set up.", {})
    assert flows.authenticator.in_use[ACCOUNT]
    assert flows.authenticator.calls[-1] == ("check_app_code", AppCode(ACCOUNT, app_code(flows, handle), setting_up=True))
    # The app became the method with its code: no second write of the method.
    assert flows.accounts.args("complete_mfa_registration") == []
    assert (await act(handle, "recovery_codes_saved")).step == "terms"
    view = await act(handle, "accept_terms", TERMS_VERSION)
    assert (view.step, view.status) == ("done", "completed")
    # Even someone registering now hears of a new kind of factor.
    [notice] = await flows.notices_until(1)
    assert (notice.to, notice.template, dict(notice.detail)) == (EMAIL, "mfa_registered", {"method": "app", "phone": ""})


async def test_a_wrong_code_is_refused_and_too_many_lock_until_a_new_key(flows):
    handle = await at_app(flows)
    right = flows.authenticator.code(ACCOUNT)
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    for _ in range(MAX_WRONG_TRIES - 1):
        view = await act(handle, "verify_app_code", flows.senders.code_digest(handle.id, wrong))
        assert (view.step, view.errors, view.error_codes) == ("app", {"code": APP_CODE_WRONG}, {"code": "wrong"})
    view = await act(handle, "verify_app_code", flows.senders.code_digest(handle.id, wrong))
    assert (view.errors, view.error_codes) == ({"code": APP_CODE_LOCKED}, {"code": "locked"})
    # Locked: even the right code is refused before it reaches history.
    assert (await refusal(handle, "verify_app_code", app_code(flows, handle))).message == APP_CODE_LOCKED
    first_secret = flows.authenticator.pending[ACCOUNT]
    assert (await act(handle, "new_app_key")).step == "app"
    assert flows.authenticator.pending[ACCOUNT] != first_secret
    assert (await act(handle, "verify_app_code", app_code(flows, handle))).step == "recovery_codes"


async def test_a_code_for_another_flow_is_refused(flows):
    handle = await at_app(flows)
    other = flows.senders.code_digest("enrollment-another", flows.authenticator.code(ACCOUNT))
    assert (await act(handle, "verify_app_code", other)).errors == {"code": APP_CODE_WRONG}


async def test_app_steps_out_of_order_are_refused(flows):
    handle = await start(flows)
    await reach(flows, handle, "password", "app")
    assert (await refusal(handle, "verify_app_code", "0" * 64)).details[0] == "code"
    assert (await refusal(handle, "recovery_codes_saved")).details[0] == "form"
    assert (await refusal(handle, "new_app_key")).details[0] == "form"
    await act(handle, "save_password")
    assert (await refusal(handle, "verify_app_code", "123456")).message == "Enter the 6-digit code."
    assert (await refusal(handle, "recovery_codes_saved")).details[0] == "form"


async def test_the_method_screen_offers_the_app(flows):
    handle = await start(flows)
    assert (await act(handle, "choose_method", "app")).step == "email"
    other = await start(flows)
    assert "AUTHENTICATOR APP" in (await refusal(other, "choose_method", "fax")).message


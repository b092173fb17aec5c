"""The authenticator app as the second factor (workflows/app_factor.py), in login and in a
password reset, in the time-skipping environment: the app's code signs in, a code is taken
once, a recovery code stands in for the app once and tells the person by email, and a reset
never skips the app."""

from __future__ import annotations

import asyncio

import pyotp

from activities.contracts import PasskeyAnswer, RecoveryCode
from domain import digests, recovery_codes
from tests.workflows import test_password_reset as password_reset
from tests.workflows.fake_authenticator import signed
from tests.workflows.test_login import ACCOUNT, EMAIL, act, claim, refusal, start
from workflows.app_code_step import APP_CODE_CHECKING, APP_CODE_SPENT, APP_CODE_WRONG
from workflows.passkey_step import PASSKEY_REFUSED, PasskeyEntry
from workflows.second_factor import NOT_A_RECOVERY_CODE, RECOVERY_CODE_LOCKED, RECOVERY_CODE_WRONG

RECOVERY_KEY = digests.derive_key("recovery test key", recovery_codes.DIGEST_KEY)


async def app_login(flows, **changes):
    flows.authenticator.in_use.setdefault(ACCOUNT, pyotp.random_base32())
    handle = await start(flows, "email", second_factor="app", **changes)
    view = await flows.view(handle)
    # Nothing is sent: no email code stands in for the app.
    assert (view.step, view.code, flows.senders.sent) == ("app_code", None, [])
    return handle


def app_code(flows, handle, code: str = "") -> str:
    return flows.senders.code_digest(handle.id, code or flows.authenticator.code(ACCOUNT))


def recovery_digest(code: str) -> str:
    return recovery_codes.digest(RECOVERY_KEY, ACCOUNT, code)


async def test_the_app_code_signs_in_in_its_answer(flows):
    handle = await app_login(flows, claim="claim-digest")
    view = await act(handle, "verify_app_code", app_code(flows, handle))
    assert (view.step, view.status, view.grant) == ("done", "completed", ACCOUNT)
    assert await handle.result() == "signed_in"
    # Each sign-in by the app is told to the address on record.
    [notice] = await flows.notices_until(1)
    assert (notice.to, notice.template, dict(notice.detail)) == (EMAIL, "signed_in", {"method": "app"})


async def test_a_wrong_code_and_a_spent_one_are_refused(flows):
    handle = await app_login(flows)
    right = flows.authenticator.code(ACCOUNT)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    assert (await act(handle, "verify_app_code", app_code(flows, handle, wrong))).errors == {"code": APP_CODE_WRONG}
    assert (await act(handle, "verify_app_code", app_code(flows, handle, right))).step == "done"
    # The same code, in a second login right after (read over a shoulder): refused.
    second = await start(flows, "email", second_factor="app")
    view = await act(second, "verify_app_code", app_code(flows, second, right))
    assert (view.step, view.errors, view.error_codes) == ("app_code", {"code": APP_CODE_SPENT}, {"code": "used"})


async def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(flows):
    codes = recovery_codes.new_codes()
    flows.authenticator.recovery_digests[ACCOUNT] = {recovery_digest(code) for code in codes}
    handle = await app_login(flows)
    assert (await act(handle, "use_recovery_code")).step == "recovery_code"
    assert (await act(handle, "use_second_factor")).step == "app_code"
    await act(handle, "use_recovery_code")
    view = await act(handle, "verify_recovery_code", recovery_digest(codes[3]))
    assert (view.step, view.status) == ("done", "completed")
    assert flows.authenticator.calls[-1] == ("use_recovery_code", RecoveryCode(ACCOUNT, recovery_digest(codes[3])))
    await claim(handle)
    [notice] = await flows.notices_until(1)
    assert (notice.to, notice.template, dict(notice.detail)) == (EMAIL, "recovery_code_used", {"left": "9"})
    # Spent: a second login cannot use it again.
    again = await app_login(flows)
    await act(again, "use_recovery_code")
    view = await act(again, "verify_recovery_code", recovery_digest(codes[3]))
    assert (view.step, view.errors) == ("recovery_code", {"code": RECOVERY_CODE_WRONG})


async def test_wrong_recovery_codes_lock_the_login(flows):
    handle = await app_login(flows)
    await act(handle, "use_recovery_code")
    for _ in range(4):
        await act(handle, "verify_recovery_code", recovery_digest("AAAA-AAAA-AAAA-AAAA"))
    view = await act(handle, "verify_recovery_code", recovery_digest("AAAA-AAAA-AAAA-AAAA"))
    assert view.errors == {"code": RECOVERY_CODE_LOCKED}
    assert (await refusal(handle, "verify_recovery_code", recovery_digest("BBBB-BBBB-BBBB-BBBB"))).message == RECOVERY_CODE_LOCKED


async def test_guesses_sent_together_are_checked_one_at_a_time_and_cannot_pass_the_lock(flows):
    """Ten recovery codes at once, as a script would send them: while the first is being checked
    the others are refused unchecked, so parallel guesses cannot outrun the count of wrong ones."""
    handle = await app_login(flows)
    await act(handle, "use_recovery_code")
    flows.authenticator.hold_recovery_checks = held = asyncio.Event()
    first = asyncio.create_task(act(handle, "verify_recovery_code", recovery_digest("AAAA-AAAA-AAAA-AAAA")))
    await asyncio.wait_for(flows.authenticator.checking_recovery_code.wait(), timeout=10)
    guesses = [refusal(handle, "verify_recovery_code", recovery_digest(f"BBBB-BBBB-BBBB-BBB{n}")) for n in range(9)]
    assert {refused.message for refused in await asyncio.wait_for(asyncio.gather(*guesses), 30)} == {APP_CODE_CHECKING}
    held.set()
    assert (await first).errors == {"code": RECOVERY_CODE_WRONG}
    # Only the first guess reached the database (the time-skipping server may have retried it).
    checked = {call[1].code_digest for call in flows.authenticator.calls if call[0] == "use_recovery_code"}
    assert checked == {recovery_digest("AAAA-AAAA-AAAA-AAAA")}
    # The guard is released: the next guess is checked.
    assert (await act(handle, "verify_recovery_code", recovery_digest("CCCC-CCCC-CCCC-CCCC"))).errors == {"code": RECOVERY_CODE_WRONG}


async def test_app_steps_out_of_order_are_refused(flows):
    handle = await app_login(flows)
    assert (await refusal(handle, "verify_recovery_code", "0" * 64)).details[0] == "form"
    assert (await refusal(handle, "use_second_factor")).details[0] == "form"
    # No emailed code either: the app user's login sends nothing.
    assert (await refusal(handle, "send_email_code")).details[0] == "form"
    await act(handle, "use_recovery_code")
    assert (await refusal(handle, "verify_app_code", app_code(flows, handle))).details[0] == "code"
    assert (await refusal(handle, "verify_recovery_code", "not a digest")).message == NOT_A_RECOVERY_CODE
    # An email login never takes an app code.
    email_login = await start(flows, "email")
    assert (await refusal(email_login, "verify_app_code", app_code(flows, email_login))).details[0] == "code"


async def test_a_password_reset_asks_for_the_app_after_the_email_code(flows):
    flows.authenticator.in_use[ACCOUNT] = pyotp.random_base32()
    handle = await password_reset.start(flows, second_factor="app")
    assert (await password_reset.verify(flows, handle)).step == "email_verified"
    assert (await act(handle, "continue_reset")).step == "app_code"
    # No new password before the app's code.
    assert (await refusal(handle, "save_new_password")).details[0] == "form"
    view = await act(handle, "verify_app_code", app_code(flows, handle))
    assert (view.step, view.errors) == ("new_password", {})
    assert (await act(handle, "save_new_password")).step == "done"


async def test_a_password_reset_takes_a_recovery_code_instead(flows):
    codes = recovery_codes.new_codes()
    flows.authenticator.recovery_digests[ACCOUNT] = {recovery_digest(code) for code in codes}
    handle = await password_reset.start(flows, second_factor="app")
    await password_reset.verify(flows, handle)
    await act(handle, "continue_reset")
    await act(handle, "use_recovery_code")
    assert (await act(handle, "verify_recovery_code", recovery_digest(codes[0]))).step == "new_password"
    [notice] = await flows.notices_until(1)
    assert (notice.template, dict(notice.detail)) == ("recovery_code_used", {"left": "9"})


async def test_a_passkey_signs_in_for_its_ceremony_only(flows):
    flows.authenticator.passkeys[ACCOUNT] = ["Work laptop"]
    handle = await start(flows, "email", second_factor="passkey", claim="claim-digest")
    view = await flows.view(handle)
    assert (view.step, view.passkey_ceremony, flows.senders.sent) == ("passkey", 0, [])
    view = await act(handle, "answer_passkey", PasskeyEntry(signed(7)))
    assert (view.step, view.errors, view.passkey_ceremony) == ("passkey", {"passkey": PASSKEY_REFUSED}, 1)
    # The recovery code is the way out, and back.
    assert (await act(handle, "use_recovery_code")).step == "recovery_code"
    assert (await act(handle, "use_second_factor")).step == "passkey"
    view = await act(handle, "answer_passkey", PasskeyEntry(signed(1)))
    assert (view.step, view.grant) == ("done", ACCOUNT)
    [notice] = await flows.notices_until(1)
    assert (notice.template, dict(notice.detail)) == ("signed_in", {"method": "passkey"})
    assert flows.authenticator.calls[-1] == ("check_passkey", PasskeyAnswer(ACCOUNT, 1, signed(1)))


async def test_a_password_reset_asks_for_the_passkey_after_the_email_code(flows):
    flows.authenticator.passkeys[ACCOUNT] = ["Work laptop"]
    handle = await password_reset.start(flows, second_factor="passkey")
    await password_reset.verify(flows, handle)
    assert (await act(handle, "continue_reset")).step == "passkey"
    assert (await refusal(handle, "save_new_password")).details[0] == "form"
    assert (await act(handle, "answer_passkey", PasskeyEntry(signed(0)))).step == "new_password"

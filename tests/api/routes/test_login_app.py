"""Login for someone whose second factor is the authenticator app (api/routes/login.py, issue
10) against the real stack: Login with Email and the password lead to the app's code (never
an emailed one), a code is taken once, Login with Phone says which button to use, a recovery
code signs in once and emails the person, and wrong codes count toward the same lockout as
every code. The decoded history holds neither the codes nor the password."""

from __future__ import annotations

import time
import uuid

import pyotp

from api.sessions import SESSION_COOKIE
from domain import authenticator_app, digests, recovery_codes
from operations.flows import flow_detail
from store import recovery_codes as stored_codes
from tests.api.routes.test_login import (
    EMAIL,
    act,
    assert_history_clean,
    bound_flow,
    csrf_of,
    events,
    other_code,
    sign_in_api,
    sign_in_form,
    signed_in_name,
    submit,
)
from tests.support.enrolled_users import PASSWORD, add_app_user
from workflows.app_code_step import APP_CODE_LOCKED, APP_CODE_SPENT, APP_CODE_WRONG
from workflows.second_factor import NOT_A_RECOVERY_CODE, RECOVERY_CODE_WRONG

USE_APP = "You registered with an authenticator app. Please use Login with Email."


async def give_recovery_codes(live_app, user_id: str) -> list[str]:
    codes = recovery_codes.new_codes()
    key = digests.derive_key(live_app.settings.secret_key, recovery_codes.DIGEST_KEY)
    async with live_app.pool.acquire() as conn:
        await stored_codes.replace(conn, uuid.UUID(user_id), [recovery_codes.digest(key, user_id, c) for c in codes])
    return codes


def next_code(secret: str) -> str:
    """The app's code of the next time step: inside the window, and not yet spent."""
    return authenticator_app.code_at(secret, authenticator_app.step_at(time.time()) + 1)


async def test_the_app_code_signs_in_through_the_forms(live_app, mail):
    user_id, secret = await add_app_user(live_app.pool, live_app.settings.secret_key)
    async with live_app.http() as http:
        response = await sign_in_form(http, "email")
        assert response.status_code == 303
        flow_id = bound_flow(http)
        page = await http.get("/login")
        assert "Enter the Code from Your Authenticator App" in page.text and "Use a recovery code instead" in page.text
        csrf = csrf_of(page.text)
        code = pyotp.TOTP(secret).now()
        wrong = await submit(http, "app/verify", csrf, status=422, code=other_code(code))
        assert APP_CODE_WRONG in wrong.text
        home = await submit(http, "app/verify", csrf, status=303, code=code)
        assert home.headers["location"] == "/home"
        assert "Welcome, Dana Doctor" in (await http.get("/home")).text
    # No emailed code stands in for the app: the one email is the sign-in's notice.
    [notice] = await mail.wait_for_messages_to(EMAIL)
    assert notice["subject"] == "A sign-in to your Atrezzo account" and "authenticator app" in notice["text"]
    [failed] = await events(live_app, "login.code_failed")
    assert str(failed["subject_user_id"]) == user_id
    await assert_history_clean(live_app, flow_id, PASSWORD, code, secret)
    # Support sees the app's step in the flow's timeline.
    timeline = [(entry.what, entry.name) for entry in (await flow_detail(live_app.client, flow_id)).timeline]
    assert {("step", "app_code"), ("update", "verify_app_code"), ("activity", "check_app_code"), ("step", "done")} <= set(timeline)


async def test_a_code_signs_in_once_and_login_with_phone_names_the_button(live_app):
    _, secret = await add_app_user(live_app.pool, live_app.settings.secret_key)
    code = next_code(secret)
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).json()["step"] == "app_code"
        assert (await act(http, "app/verify", {"code": code}))["step"] == "done"
    async with live_app.http() as http:
        await sign_in_api(http, "email")
        await act(http, "app/verify", {"code": code}, errors={"code": APP_CODE_SPENT})
        assert await signed_in_name(http) is None
    async with live_app.http() as http:
        refused = await sign_in_api(http, "phone")
        assert (refused.status_code, refused.json()) == (422, {"errors": {"form": USE_APP}})


async def test_a_recovery_code_signs_in_once_and_tells_the_person(live_app, mail):
    user_id, _ = await add_app_user(live_app.pool, live_app.settings.secret_key)
    codes = await give_recovery_codes(live_app, user_id)
    async with live_app.http() as http:
        await sign_in_api(http, "email")
        flow_id = bound_flow(http)
        assert (await act(http, "recovery-code"))["step"] == "recovery_code"
        await act(http, "recovery-code/verify", {"code": "not a code"}, errors={"code": NOT_A_RECOVERY_CODE})
        await act(http, "recovery-code/verify", {"code": "AAAA-AAAA-AAAA-AAAA"}, errors={"code": RECOVERY_CODE_WRONG})
        # As people type it from paper: lower case, spaces for dashes.
        typed = codes[2].lower().replace("-", " ")
        done = await act(http, "recovery-code/verify", {"code": typed})
        assert done["step"] == "done" and SESSION_COOKIE in http.cookies
    [notice] = await mail.wait_for_messages_to(EMAIL)
    assert "recovery codes was just used" in notice["text"] and "9 of them are left" in notice["text"]
    async with live_app.http() as http:
        await sign_in_api(http, "email")
        await act(http, "recovery-code")
        await act(http, "recovery-code/verify", {"code": codes[2]}, errors={"code": RECOVERY_CODE_WRONG})
    used = await events(live_app, "login.recovery_code_used")
    assert [(str(e["subject_user_id"]), e["detail"]["left"]) for e in used] == [(user_id, "9")]
    await assert_history_clean(live_app, flow_id, PASSWORD, *codes, codes[2].replace("-", ""))


async def test_wrong_app_codes_lock_the_account_across_logins(live_app):
    _, secret = await add_app_user(live_app.pool, live_app.settings.secret_key)
    wrong = other_code(pyotp.TOTP(secret).now())
    # Each login refuses a sixth try itself; ten across logins lock the account's codes.
    messages = []
    for _ in range(2):
        async with live_app.http() as http:
            await sign_in_api(http, "email")
            for _ in range(5):
                response = await http.post("/api/v1/login/app/verify", json={"code": wrong})
                messages.append(response.json()["errors"]["code"])
    assert messages[:4] == [APP_CODE_WRONG] * 4 and messages[4] == APP_CODE_LOCKED
    assert messages[9].startswith("Too many attempts. Please try again in")
    async with live_app.http() as http:
        await sign_in_api(http, "email")
        response = await http.post("/api/v1/login/app/verify", json={"code": next_code(secret)})
        view = response.json()
        assert view["step"] == "app_code" and view["errors"]["code"].startswith("Too many attempts.")

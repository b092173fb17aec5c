"""Forgot or Reset Password against the real stack: an email-only user and a phone user (SMS
and Call Me) reset through the JSON twins and the forms; a reset never skips the phone; a
portal user from before MFA resets the old password and goes on to register MFA. After each
flow its decrypted history is searched for the passwords and codes: none may be there."""

from __future__ import annotations

import re
import uuid

import pytest
from temporalio.client import WorkflowUpdateFailedError

from api.flow_sign_in import SIGNED_IN_ALREADY
from api.flows import Flows
from api.routes import password_reset
from workflows.code_challenge import SEND_FAILED, Outcome
from workflows.flow import FlowView
from domain.passwords import hash_password, verify_password
from engine.codec import EncryptionCodec
from store.accounts import account_by_id
from tests.support.enrolled_users import PASSWORD as OLD_PASSWORD
from tests.support.enrolled_users import PHONE, add_user, session_token
from tests.support.histories import decoded_text, update_names

EMAIL = "dana.doctor@example.com"
NEW_PASSWORD = "Silver-Canyon-Meadow-82"
WEAK = "password1234"
FLOW_COOKIE = Flows.cookie_name("password_reset")
CODE_SENT = "Verification code has been sent. Please copy it to the input box below."
VERIFIED = "E-mail address verified. You can now continue."
WRONG_CODE = "The verification code is incorrect. Please try again."


# --- setting the scene ---------------------------------------------------------------------------
async def signed_in(live_app, session_token: str) -> bool:
    async with live_app.http() as other:
        other.cookies.set("atrezzo_session", session_token)
        return (await other.get("/api/v1/me")).status_code == 200


async def password_hash(live_app, user_id: str) -> str:
    async with live_app.pool.acquire() as conn:
        return (await account_by_id(conn, user_id)).password_hash


# --- talking to the API --------------------------------------------------------------------------
async def start(http, email: str) -> str:
    response = await http.post("/api/v1/password/reset", json={"email": email})
    assert response.status_code == 202, response.text
    return flow_of(http)


def flow_of(http) -> str:
    return http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]


async def act(http, path: str, body: dict | None = None, *, errors: dict | None = None) -> dict:
    response = await http.post(f"/api/v1/password/reset/{path}", json=body or {})
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["errors"] == (errors or {}), view
    return view


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def submit(http, path: str, csrf: str, *, status: int = 200, **data: str):
    response = await http.post(f"/password/reset/{path}".rstrip("/"), data={**data, "csrf_token": csrf})
    assert response.status_code == status, response.text
    return response


async def email_code(mail, count: int = 1) -> str:
    await mail.wait_for_messages_to(EMAIL, count=count)
    return mail.last_code_to(EMAIL)


def passwords(password: str, confirm: str | None = None) -> dict:
    return {"password": password, "confirm_password": password if confirm is None else confirm}


def other_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def assert_history_clean(live_app, flow_id: str, address: str, *secrets: str) -> None:
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert address.casefold() in text.casefold()  # the payloads really were decrypted
    for secret in secrets:
        # Codes are bounded by non-digits so a timestamp's digits cannot look like one.
        pattern = rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, text), f"{secret!r} is in the decoded history of {flow_id}"
    # Nor the new password's hash: it is staged at the edge and applied by the flow's activity.
    assert "$argon2id$" not in text, f"a password hash is in the decoded history of {flow_id}"


# --- email-only users ------------------------------------------------------------------------------
async def test_email_only_user_resets_through_the_json_api_and_other_sessions_end(live_app, mail):
    user_id = await add_user(live_app.pool, "email")
    before = await session_token(live_app, user_id)  # a session the user had in another browser
    assert await signed_in(live_app, before)
    async with live_app.http() as http:
        flow_id = await start(http, "  Dana.Doctor@EXAMPLE.com ")
        view = (await http.get("/api/v1/password/reset/code")).json()
        # The address as typed, not as stored: the stored spelling would tell that it exists.
        assert (view["step"], view["email"], view["notice"]) == ("email_code", "D*******@example.com", CODE_SENT)
        code = await email_code(mail)
        await act(http, "code/verify", {"code": other_code(code)}, errors={"code": WRONG_CODE})
        await act(http, "code/verify", {"code": "12ab"}, errors={"code": "Enter the 6-digit code."})
        view = await act(http, "code/verify", {"code": code})
        assert (view["step"], view["notice"]) == ("email_verified", VERIFIED)
        early = await act(http, "password", passwords(NEW_PASSWORD), errors={"form": "Please click Continue first."})
        assert early["step"] == "email_verified"
        view = await act(http, "continue")
        assert view["step"] == "new_password"  # email-only: no phone step

        weak = (await http.post("/api/v1/password/reset/password", json=passwords(WEAK))).json()
        assert weak["step"] == "new_password" and weak["errors"]["password"].startswith("This password is too easy to guess.")
        await act(http, "password", passwords(NEW_PASSWORD, NEW_PASSWORD + "!"), errors={"confirm_password": "Passwords do not match."})
        personal = {"password": "Do not use your username, name or email address in your password."}
        await act(http, "password", passwords("Dana.Doctor-Silver-Canyon"), errors=personal)
        done = await act(http, "password", passwords(NEW_PASSWORD))
        assert (done["step"], done["status"]) == ("done", "completed")
        me = await http.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["username"] == "dana.doctor"
        assert FLOW_COOKIE not in http.cookies
        again = await http.get("/api/v1/password/reset/code")  # no reset is bound: this browser is signed in
        assert (again.status_code, again.json()) == (409, {"detail": SIGNED_IN_ALREADY})
    stored = await password_hash(live_app, user_id)
    assert verify_password(stored, NEW_PASSWORD) and not verify_password(stored, OLD_PASSWORD)
    assert not await signed_in(live_app, before)
    await assert_history_clean(live_app, flow_id, EMAIL, NEW_PASSWORD, WEAK, code)
    # The saved password's own answer carried the sign-in: no separate claim followed it.
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    assert "claim_sign_in" not in update_names(history)


async def test_email_only_user_resets_through_the_forms(live_app, mail):
    user_id = await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        page = await http.get("/password/reset")
        assert '<label for="email">Email Address</label>' in page.text
        assert ">Send verification code</button>" in page.text and "disabled>Continue</button>" in page.text
        csrf = csrf_of(page.text)
        bad = await submit(http, "", csrf, status=422, email="lee.legacy@")
        assert "Enter a valid email address." in bad.text and 'value="lee.legacy@"' in bad.text
        assert FLOW_COOKIE not in http.cookies
        sent = await submit(http, "", csrf, status=303, email=EMAIL)
        assert sent.headers["location"] == "/password/reset/code"
        flow_id = flow_of(http)
        page = await http.get("/password/reset/code")
        assert CODE_SENT in page.text and 'value="d*******@example.com"' in page.text
        assert '<label for="code">Verification Code</label>' in page.text
        for text in (">Verify code</button>", ">Send new code</button>", "disabled>Continue</button>"):
            assert text in page.text
        code = await email_code(mail)
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(code))
        assert WRONG_CODE in wrong.text
        resend = await submit(http, "code/send", csrf, status=422)
        assert "Please wait" in resend.text and "before requesting a new code." in resend.text
        page = await submit(http, "code/verify", csrf, code=code)
        assert VERIFIED in page.text and ">Continue</button>" in page.text
        page = await submit(http, "continue", csrf)
        assert '<label for="new_password">New Password</label>' in page.text
        assert '<label for="confirm_password">Confirm New Password</label>' in page.text
        weak = await submit(http, "password", csrf, status=422, password=WEAK, confirm_password=WEAK)
        assert "This password is too easy to guess." in weak.text and WEAK not in weak.text
        mismatch = await submit(http, "password", csrf, status=422, password=NEW_PASSWORD, confirm_password="Quiet-Harbor")
        assert "Passwords do not match." in mismatch.text and NEW_PASSWORD not in mismatch.text
        home = await submit(http, "password", csrf, status=303, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
        assert home.headers["location"] == "/home"
        assert "Welcome, Dana Doctor" in (await http.get("/home")).text
    assert verify_password(await password_hash(live_app, user_id), NEW_PASSWORD)
    await assert_history_clean(live_app, flow_id, EMAIL, NEW_PASSWORD, WEAK, code)


# --- phone users: the second factor is never skipped ------------------------------------------------
async def test_phone_user_must_pass_sms_before_the_new_password(live_app, mail, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        flow_id = await start(http, EMAIL)
        code = await email_code(mail)
        await act(http, "code/verify", {"code": code})
        handle = live_app.client.get_workflow_handle(flow_id)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("set_new_password", hash_password("Straight-To-The-Password-1"))
        view = await act(http, "continue")
        assert (view["step"], view["phone"]) == ("phone", "XXX-XXX-9885")
        await act(http, "password", passwords(NEW_PASSWORD), errors={"form": "Please verify your phone first."})
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("set_new_password", hash_password("Straight-To-The-Password-1"))
        await act(http, "phone", {"channel": "fax"}, errors={"form": "Choose Send Code or Call Me."})

        view = await act(http, "phone", {"channel": "sms"})
        assert view["step"] == "phone_code"
        await phones.wait_for_sms_to(PHONE)
        sms_code = phones.last_code_sms_to(PHONE)
        await act(http, "password", passwords(NEW_PASSWORD), errors={"form": "Please verify your phone first."})
        await act(http, "code/verify", {"code": code}, errors={"code": WRONG_CODE})  # the email code is spent
        view = await act(http, "code/verify", {"code": sms_code})
        assert view["step"] == "new_password"
        done = await act(http, "password", passwords(NEW_PASSWORD))
        assert done["step"] == "done" and (await http.get("/api/v1/me")).status_code == 200
    stored = await password_hash(live_app, user_id)
    assert verify_password(stored, NEW_PASSWORD) and not verify_password(stored, OLD_PASSWORD)
    await assert_history_clean(live_app, flow_id, EMAIL, NEW_PASSWORD, code, sms_code)


async def test_phone_user_verifies_by_a_call_that_speaks_the_code(live_app, mail, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        csrf = csrf_of((await http.get("/password/reset")).text)
        await submit(http, "", csrf, status=303, email=EMAIL)
        flow_id = flow_of(http)
        await submit(http, "code/verify", csrf, code=await email_code(mail))
        page = await submit(http, "continue", csrf)
        assert "We have the following number on record for you." in page.text and "XXX-XXX-9885" in page.text
        assert ">Send Code</button>" in page.text and ">Call Me</button>" in page.text
        page = await submit(http, "phone", csrf, channel="voice")
        assert "We are calling you now. Answer the call and enter the 6-digit code you hear below." in page.text
        await phones.wait_for_calls_to(PHONE)
        spoken = phones.last_spoken_code_to(PHONE)
        page = await submit(http, "code/verify", csrf, code=spoken)
        assert "New Password" in page.text
        home = await submit(http, "password", csrf, status=303, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
        assert home.headers["location"] == "/home"
    assert verify_password(await password_hash(live_app, user_id), NEW_PASSWORD)
    await assert_history_clean(live_app, flow_id, EMAIL, NEW_PASSWORD, spoken)


# --- a portal user from before MFA who forgot the old password -------------------------------------
async def test_a_user_without_mfa_resets_the_password_and_goes_on_to_register_mfa(live_app, mail):
    """Guide Section 1 meets "Forgot your password?": the code goes to the address on record,
    the new password is set, and the enrollment that follows asks only for the phone (or
    email instead): the mailbox was just proven."""
    user_id = await add_user(live_app.pool, None)  # a legacy user: no MFA yet
    async with live_app.http() as http:
        await start(http, EMAIL)
        await act(http, "code/verify", {"code": await email_code(mail)})
        assert (await act(http, "continue"))["step"] == "new_password"
        answer = await http.post("/api/v1/password/reset/password", json=passwords(NEW_PASSWORD))
        assert answer.status_code == 200, answer.text
        assert answer.json()["next"] == "/api/v1/mfa"
        assert (await http.get("/api/v1/me")).status_code == 401  # not yet: MFA first
        enrollment = (await http.get("/api/v1/mfa")).json()
        assert (enrollment["step"], enrollment["can_use_email"]) == ("phone", True)
        done = await http.post("/api/v1/mfa/use-email", json={})
        assert done.json()["step"] == "done"
        assert (await http.get("/api/v1/me")).status_code == 200
    assert verify_password(await password_hash(live_app, user_id), NEW_PASSWORD)
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT mfa_method FROM users WHERE id = $1", uuid.UUID(user_id)) == "email"


async def test_the_code_goes_to_the_address_on_record_while_the_screen_shows_what_was_typed(live_app, mail):
    await add_user(live_app.pool, "email")  # on record: dana.doctor@example.com
    async with live_app.http() as http:
        await start(http, "Dana.Doctor@EXAMPLE.com")
        view = (await http.get("/api/v1/password/reset/code")).json()
        [message] = await mail.wait_for_messages_to(EMAIL)
    assert message["to"] == [EMAIL]  # the stored spelling, not the typed one
    assert view["email"] == "D*******@example.com"  # the typed spelling: the stored one names the account


def test_before_the_email_is_verified_a_failed_send_looks_like_any_other_address():
    """A decoy flow (unknown address) never fails to send: "could not send" would name a real
    account, so until the code is verified nothing on screen says it."""
    failed = FlowView(process="password_reset", step="email_code").refused("code", SEND_FAILED, Outcome.SEND_FAILED)
    shown = password_reset._shown(failed)
    assert (shown.errors, shown.error_codes, shown.notice, shown.code) == ({}, {}, CODE_SENT, None)
    # Nor that no code went yet: a decoy always has one, so it reads as a wrong code.
    early = FlowView(process="password_reset", step="email_code").refused("code", "Request one first.", Outcome.NOT_SENT)
    assert password_reset._shown(early).error_codes == {"code": Outcome.WRONG}

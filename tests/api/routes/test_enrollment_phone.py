"""MFA enrollment through the API against the real stack with the phone method — SMS through
the JSON twins and the HTML forms, a call that speaks the code, a changed number and a line
with an extension — and a resumed enrollment that can use email instead. After each flow its
real history is read, decrypted, and searched for the password and every code: none may be
there."""

from __future__ import annotations

import time

from tests.api.routes.test_enrollment import (
    CODE_SENT,
    EMAIL,
    FLOW_COOKIE,
    LEGACY_PASSWORD,
    PASSWORD,
    RESUMED,
    WRONG_CODE,
    account,
    act,
    add_legacy_user,
    assert_history_clean,
    csrf_of,
    other_code,
    passwords,
    post,
    signed_in_name,
    start_enrollment,
    submit,
)
from tests.support.histories import update_inputs

PHONE = "+12025550143"
DIRECT_LINE = "Enter a 10-digit direct line; extensions are not supported."


def phone(number: str, channel: str) -> dict:
    return {"phone_number": number, "channel": channel}


# --- phone method ------------------------------------------------------------------------------
async def _through_password(http, mail, csrf: str | None = None) -> str:
    """PHONE, the prefilled email and its code, and a password: up to the phone screen."""
    if csrf is None:
        await act(http, "method", {"method": "phone"})
        await act(http, "email", {"email": EMAIL})
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        await act(http, "code/verify", {"code": code})
        view = await act(http, "password", passwords(PASSWORD))
        assert view["step"] == "phone"
        return code
    await submit(http, "method", csrf, method="phone")
    await submit(http, "email", csrf, email=EMAIL)
    await mail.wait_for_messages_to(EMAIL)
    code = mail.last_code_to(EMAIL)
    await submit(http, "code/verify", csrf, code=code)
    page = await submit(http, "password", csrf, password=PASSWORD, confirm_password=PASSWORD)
    assert "Enter a number below that we can send a code via SMS or phone to authenticate you." in page.text
    return code


async def test_phone_with_sms_through_the_json_api(live_app, mail, phones):
    started_at = time.time() * 1000
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id)
        email_code = await _through_password(http, mail)
        view = await act(http, "phone", phone("202-555-0143 x12", "sms"), errors={"phone_number": DIRECT_LINE})
        assert view["phone_number"] == "202-555-0143 x12"
        await act(http, "phone", phone("(202) 555-0143", "fax"), errors={"phone_number": "Choose Send Code or Call Me."})
        view = await act(http, "phone", phone("(202) 555-0143", "sms"))
        assert (view["step"], view["phone"], view["notice"]) == ("phone_code", "XXX-XXX-0143", CODE_SENT)
        await phones.wait_for_sms_to(PHONE)
        sms_code = phones.last_code_sms_to(PHONE)
        resend = await post(http, "code/send")
        assert resend["errors"]["code"].startswith("Please wait")
        await act(http, "code/verify", {"code": other_code(sms_code)}, errors={"code": WRONG_CODE})
        done = await act(http, "code/verify", {"code": sms_code})
        assert done["step"] == "done"
        assert await signed_in_name(http) == "Lee Legacy"
    enrolled = await account(live_app, user_id)
    assert (enrolled.mfa_method, enrolled.mfa_phone, enrolled.status) == ("phone", PHONE, "active")
    await assert_history_clean(live_app, flow_id, PASSWORD, email_code, sms_code)
    # Both sends went with when the API took the press: each code's life starts then.
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    [[_, email_pressed_at]] = await update_inputs(live_app.client, history, "submit_email")
    [[entry]] = await update_inputs(live_app.client, history, "submit_phone")
    assert started_at <= email_pressed_at <= entry["pressed_at"] <= time.time() * 1000


async def test_phone_with_sms_through_the_forms(live_app, mail, phones):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id)
        csrf = csrf_of((await http.get("/mfa")).text)
        email_code = await _through_password(http, mail, csrf)
        page = (await http.get("/mfa")).text
        assert '<label for="country_code">Country Code</label>' in page and "United States (+1)" in page
        assert '<label for="phone_number">Phone Number</label>' in page
        assert ">Send Code</button>" in page and ">Call Me</button>" in page
        bad = await submit(http, "phone", csrf, status=422, phone_number="202-555-0143 x12", channel="sms")
        assert DIRECT_LINE in bad.text and 'value="202-555-0143 x12"' in bad.text
        page = await submit(http, "phone", csrf, phone_number="202 555 0143", channel="sms")
        assert "XXX-XXX-0143" in page.text and "Enter your verification code below, or" in page.text
        assert ">send a new code</button>" in page.text and ">Verify Code</button>" in page.text
        await phones.wait_for_sms_to(PHONE)
        sms_code = phones.last_code_sms_to(PHONE)
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(sms_code))
        assert WRONG_CODE in wrong.text
        home = await submit(http, "code/verify", csrf, status=303, code=sms_code)
        assert home.headers["location"] == "/home"
        assert "Welcome, Lee Legacy" in (await http.get("/home")).text
    await assert_history_clean(live_app, flow_id, PASSWORD, email_code, sms_code)


async def test_existing_user_enrolls_by_a_call_that_speaks_the_code(live_app, mail, phones):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        form = await http.get("/first-login")
        credentials = {"username": "lee.legacy", "password": LEGACY_PASSWORD, "csrf_token": csrf_of(form.text)}
        login = await http.post("/first-login", data=credentials)
        assert login.headers["location"] == "/mfa"
        flow_id = http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]
        csrf = csrf_of((await http.get("/mfa")).text)
        email_code = await _through_password(http, mail, csrf)
        page = await submit(http, "phone", csrf, phone_number="2025550143", channel="voice")
        assert "We are calling you now. Answer the call and enter the 6-digit code you hear below." in page.text
        assert '<label for="code">Verification Code</label>' in page.text and ">Verify Code</button>" in page.text
        assert ">Call me again</button>" in page.text and ">Change number</button>" in page.text
        [call] = await phones.wait_for_calls_to(PHONE)
        assert "Gather" not in call["twiml"]  # nothing to press: no key approves anything
        again = await submit(http, "code/send", csrf, status=422)
        assert "Please wait" in again.text
        spoken = phones.last_spoken_code_to(PHONE)
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(spoken))
        assert WRONG_CODE in wrong.text
        moved = await http.post("/mfa/code/verify", data={"code": spoken, "csrf_token": csrf})
        assert (moved.status_code, moved.headers["location"]) == (303, "/home")
        assert "Welcome, Lee Legacy" in (await http.get("/home")).text
    enrolled = await account(live_app, user_id)
    assert (enrolled.mfa_method, enrolled.mfa_phone) == ("phone", PHONE)
    await assert_history_clean(live_app, flow_id, PASSWORD, email_code, spoken)


async def test_change_number_and_calling_a_line_with_an_extension(live_app, mail, phones):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id)
        email_code = await _through_password(http, mail)
        await act(http, "phone", phone("202-555-0143 x12", "voice"), errors={"phone_number": DIRECT_LINE})
        view = await act(http, "phone", phone("202-555-0143", "voice"))
        assert view["step"] == "phone_call"
        [call] = await phones.wait_for_calls_to(PHONE)
        view = await act(http, "phone/change")
        assert view["step"] == "phone"
    await assert_history_clean(live_app, flow_id, PASSWORD, email_code, phones.last_spoken_code_to(PHONE))


async def test_resumed_enrollment_can_use_email_instead_of_a_phone(live_app):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id, **RESUMED)
        page = await http.get("/mfa")
        assert "I don't have a direct line — use email instead" in page.text
        home = await submit(http, "use-email", csrf_of(page.text), status=303)
        assert home.headers["location"] == "/home"
        assert await signed_in_name(http) == "Lee Legacy"
    assert (await account(live_app, user_id)).mfa_method == "email"
    await assert_history_clean(live_app, flow_id)

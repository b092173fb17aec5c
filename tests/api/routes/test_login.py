"""Login with Phone and Login with Email (guide Sections 3 and 4) against the real stack, once
the password is right: the second factor by SMS, by call and by email, through the forms and
the JSON twins, with every bad input answered on the same screen, and the screens that need a
login under way. After each flow its decrypted history is searched for the password and the
codes: none may be there."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

from api.flow_sign_in import SIGNED_IN_ALREADY
from api.flow_timings import flow_timings
from api.flows import Flows
from api.login_ticket import TICKET_COOKIE
from api.remember_me import REMEMBER_COOKIE
from api.security import Signer
from api.sessions import SESSION_COOKIE
from domain import digests
from engine.codec import EncryptionCodec
from tests.support.enrolled_users import PASSWORD, PHONE, add_user
from tests.support.histories import decoded_text, update_inputs, update_names
from workflows.login import LoginStart, LoginWorkflow

EMAIL = "dana.doctor@example.com"
MASKED_EMAIL = "d*******@example.com"
FLOW_COOKIE = Flows.cookie_name("login")
WRONG_CODE = "The verification code is incorrect. Please try again."
TOO_MANY = "Too many attempts. Please try again in 1 minute."


# --- helpers -------------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def sign_in_form(http, option: str, email: str = EMAIL, password: str = PASSWORD, *, remember: bool = False):
    page = await http.get(f"/login/{option}", params={"remember": "on"} if remember else {})
    assert page.status_code == 200, page.text
    data = {"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    if remember:
        data["remember"] = "on"
    return await http.post(f"/login/{option}", data=data)


async def sign_in_api(http, option: str, email: str = EMAIL, password: str = PASSWORD, *, headers=None, **extra):
    return await http.post(f"/api/v1/login/{option}", json={"email": email, "password": password, **extra}, headers=headers)


def bound_flow(http) -> str:
    return http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]


async def act(http, path: str, body: dict | None = None, *, errors: dict | None = None) -> dict:
    response = await http.post(f"/api/v1/login/{path}", json=body or {})
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["errors"] == (errors or {}), view
    return view


async def submit(http, path: str, csrf: str, *, status: int = 200, **data: str):
    response = await http.post(f"/login/{path}", data={**data, "csrf_token": csrf})
    assert response.status_code == status, response.text
    return response


def other_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def signed_in_name(http) -> str | None:
    me = await http.get("/api/v1/me")
    return f"{me.json()['first_name']} {me.json()['last_name']}" if me.status_code == 200 else None


async def assert_history_clean(live_app, flow_id: str, *secrets: str) -> None:
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert "LoginStart" in text or PHONE in text or EMAIL in text  # the payloads really were decrypted
    for secret in secrets:
        pattern = rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, text), f"{secret!r} is in the decoded history of {flow_id}"


async def events(live_app, event: str) -> list:
    async with live_app.pool.acquire() as conn:
        return await conn.fetch("SELECT subject_user_id, detail FROM audit_events WHERE event = $1 ORDER BY id", event)


# --- Login with Phone ----------------------------------------------------------------------------
async def test_phone_login_with_sms_through_the_forms(live_app, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        response = await sign_in_form(http, "phone")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        flow_id = bound_flow(http)
        page = await http.get("/login")
        assert (
            "We have the following number on record for you. We can send a code via SMS or phone to authenticate you."
        ) in page.text
        assert "XXX-XXX-9885" in page.text and PHONE not in page.text
        assert '<button type="submit" name="channel" value="sms">Send Code</button>' in page.text
        assert '<button type="submit" name="channel" value="voice">Call Me</button>' in page.text
        csrf = csrf_of(page.text)
        page = await submit(http, "phone/send", csrf, channel="sms")
        assert '<label for="code">Verification Code</label>' in page.text and ">Verify Code</button>" in page.text
        assert ">send a new code</button>" in page.text
        await phones.wait_for_sms_to(PHONE)
        code = phones.last_code_sms_to(PHONE)
        resend = await submit(http, "code/send", csrf, status=422)
        assert "Please wait" in resend.text and "before requesting a new code." in resend.text
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(code))
        assert WRONG_CODE in wrong.text
        bad = await submit(http, "code/verify", csrf, status=422, code="12ab")
        assert "Enter the 6-digit code." in bad.text
        home = await submit(http, "code/verify", csrf, status=303, code=code)
        assert home.headers["location"] == "/home"
        assert FLOW_COOKIE not in http.cookies and TICKET_COOKIE not in http.cookies
        assert REMEMBER_COOKIE not in http.cookies  # the box was not checked
        assert "Welcome, Dana Doctor" in (await http.get("/home")).text
    [succeeded] = await events(live_app, "login.succeeded")
    assert str(succeeded["subject_user_id"]) == user_id
    assert succeeded["detail"] == {"option": "phone", "flow": flow_id, "remember_me": False}
    [verified] = await events(live_app, "login.password_verified")
    assert verified["detail"] == {"option": "phone", "flow": flow_id}
    await assert_history_clean(live_app, flow_id, PASSWORD, code)


async def test_phone_login_with_call_me_through_the_json_api(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        started = await sign_in_api(http, "phone")
        assert started.status_code == 201
        view = started.json()
        assert (view["step"], view["phone"], view["option"]) == ("phone", "XXX-XXX-9885", "phone")
        flow_id = bound_flow(http)
        await act(http, "phone/send", {"channel": "fax"}, errors={"form": "Choose Send Code or Call Me."})
        view = await act(http, "phone/send", {"channel": "voice"})
        assert view["step"] == "phone_call"
        page = await http.get("/login")
        assert "We are calling you now. Answer the call and enter the 6-digit code you hear below." in page.text
        assert '<label for="code">Verification Code</label>' in page.text
        [call] = await phones.wait_for_calls_to(PHONE)
        assert "Gather" not in call["twiml"]  # a key press approves nothing any more
        spoken = phones.last_spoken_code_to(PHONE)
        await act(http, "code/verify", {"code": other_code(spoken)}, errors={"code": WRONG_CODE})
        done = (await http.post("/api/v1/login/code/verify", json={"code": spoken})).json()
        assert done["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"
        again = await http.get("/api/v1/login")  # the finished login is no longer bound
        assert (again.status_code, again.json()) == (409, {"detail": SIGNED_IN_ALREADY})
    await assert_history_clean(live_app, flow_id, PASSWORD, spoken)


async def test_wrong_codes_are_throttled_per_account_and_client_across_logins(live_app, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        for round_ in range(2):
            assert (await sign_in_api(http, "phone")).status_code == 201
            await act(http, "phone/send", {"channel": "sms"})
            await phones.wait_for_sms_to(PHONE, count=round_ + 1)
            code = phones.last_code_sms_to(PHONE)
            for attempt in range(5):
                view = (await http.post("/api/v1/login/code/verify", json={"code": other_code(code)})).json()
        # The 10th wrong code, over two logins, locks; the right one is refused while locked.
        assert view["errors"] == {"code": TOO_MANY}
        locked = (await http.post("/api/v1/login/code/verify", json={"code": code})).json()
        assert locked["errors"] == {"code": TOO_MANY} and locked["step"] == "phone_code"
        assert await signed_in_name(http) is None
    async with live_app.pool.acquire() as conn:
        keys = [r["key"] for r in await conn.fetch("SELECT key FROM throttles WHERE locked_until > now()")]
    # The account from this client is locked (the client itself is only slowed down).
    [locked] = keys
    assert locked.startswith("login_code:subject:") and locked.endswith(":login_code:client:127.0.0.1")
    assert user_id not in locked
    assert len(await events(live_app, "login.code_failed")) == 10
    assert len(await events(live_app, "login.locked_out")) == 1


# --- Login with Email ----------------------------------------------------------------------------
async def test_email_login_through_the_forms(live_app, mail):
    await add_user(live_app.pool, "phone")  # phone users may log in with email too
    async with live_app.http() as http:
        assert (await sign_in_form(http, "email")).headers["location"] == "/login"
        flow_id = bound_flow(http)
        page = await http.get("/login")
        assert "Verification is necessary. Please click Send button." in page.text
        assert '<label for="email_shown">Email Address</label>' in page.text
        assert f'value="{MASKED_EMAIL}" readonly' in page.text
        assert ">Send verification code</button>" in page.text
        assert re.search(r"<button[^>]*disabled[^>]*>Continue</button>", page.text)
        csrf = csrf_of(page.text)
        page = await submit(http, "email/send", csrf)
        assert "Verification code has been sent to your inbox. Please copy it to the input box below." in page.text
        assert '<label for="code">Verification code</label>' in page.text
        assert ">Verify code</button>" in page.text and ">Send new code</button>" in page.text
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        resend = await submit(http, "code/send", csrf, status=422)
        assert "Please wait" in resend.text
        early = await submit(http, "continue", csrf, status=422)
        assert "Please verify your email address first." in early.text
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(code))
        assert WRONG_CODE in wrong.text
        page = await submit(http, "code/verify", csrf, code=code)
        assert "E-mail address verified. You can now continue." in page.text
        assert re.search(r'<form method="post" action="/login/continue">\s*<input[^>]*>\s*<button type="submit">Continue', page.text)
        home = await submit(http, "continue", csrf, status=303)
        assert home.headers["location"] == "/home"
        assert await signed_in_name(http) == "Dana Doctor"
    await assert_history_clean(live_app, flow_id, PASSWORD, code)


async def test_email_login_through_the_json_api(live_app, mail):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        started = await sign_in_api(http, "email")
        assert started.status_code == 201
        assert (started.json()["step"], started.json()["email"]) == ("email", MASKED_EMAIL)
        flow_id = bound_flow(http)
        before = time.time() * 1000
        view = await act(http, "email/send")
        after = time.time() * 1000
        assert view["step"] == "email_code"
        # The guide's 30 seconds, from the settings.
        sent = view["code"]
        assert sent["channel"] == "email" and sent["expires_at"] is not None
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        verified = await act(http, "code/verify", {"code": code})
        assert (verified["step"], verified["status"], verified["grant"]) == ("verified", "running", "")
        assert verified["signs_in_at_continue"] and await signed_in_name(http) is None
        done = await act(http, "continue")
        assert (done["step"], done["status"], done["grant"]) == ("done", "completed", "")
        assert await signed_in_name(http) == "Dana Doctor"
    assert flow_timings(live_app.settings, code_ttl=live_app.settings.login_email_code_ttl).code_ttl_seconds == 30
    await assert_history_clean(live_app, flow_id, PASSWORD, code)
    # Verify code's answer carried the sign-in, and Continue made the session at the edge: no
    # claim followed, and Continue never reached the engine.
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    assert update_names(history) == ["first_screen", "send_email_code", "verify_code"]
    # The press went with when the API took it: the code's life starts then.
    [[pressed_at]] = await update_inputs(live_app.client, history, "send_email_code")
    assert before <= pressed_at <= after


# --- pages without a login ----------------------------------------------------------------------
async def test_screens_need_a_bound_login_and_its_ticket(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        gone = await http.get("/login")
        assert gone.status_code == 404 and "This page has expired. Please start again." in gone.text
        assert (await http.post("/api/v1/login/code/verify", json={"code": "123456"})).status_code == 404
        await sign_in_api(http, "phone")
        await act(http, "phone/send", {"channel": "sms"})
        await phones.wait_for_sms_to(PHONE)
        ticket = http.cookies[TICKET_COOKIE]
        http.cookies.delete(TICKET_COOKIE)
        # Without the ticket the code cannot be tried, so the per-account throttle always applies.
        code = phones.last_code_sms_to(PHONE)
        assert (await http.post("/api/v1/login/code/verify", json={"code": code})).status_code == 404
        http.cookies.set(TICKET_COOKIE, ticket.replace("|0|", "|1|"))  # altered: the signature fails
        assert (await http.post("/api/v1/login/code/verify", json={"code": code})).status_code == 404
        http.cookies.set(TICKET_COOKIE, ticket)
        assert (await http.post("/api/v1/login/code/verify", json={"code": code})).json()["step"] == "done"
        assert SESSION_COOKIE in http.cookies


async def test_a_login_left_alone_expires(live_app, temporal_env):
    user_id = await add_user(live_app.pool, "email")
    flow_id = f"login-{uuid.uuid4()}"
    start = LoginStart(user_id, "email", EMAIL, flow_timings(live_app.settings, code_ttl=timedelta(seconds=30)))
    handle = await live_app.client.start_workflow(
        LoginWorkflow.run, start, id=flow_id, task_queue=live_app.settings.temporal_task_queue
    )
    await temporal_env.fast_forward(handle, live_app.settings.enrollment_idle_timeout + timedelta(minutes=1))
    assert await handle.result() == "expired"
    signer = Signer(digests.derive_key(live_app.settings.secret_key, digests.COOKIE_KEY))
    async with live_app.http() as http:
        http.cookies.set(FLOW_COOKIE, signer.sign(flow_id))
        page = await http.get("/login")
        assert "This login was left unfinished for too long. Please log in again." in page.text
        assert (await http.get("/api/v1/login")).json()["step"] == "expired"

"""Login with Phone and Login with Email (guide Sections 3 and 4) against the real stack: the
password at the edge — wrong, unknown, locked and disabled all get one answer — then the
second factor by SMS, by call and by email, through the forms and the JSON twins, with every
bad input answered on the same screen. After each flow its decrypted history is searched for
the password and the codes: none may be there."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from datetime import timedelta

from temporalio.testing import ActivityEnvironment

from activities.postgres import AccountActivities
from api import flow_sign_in
from api.flow_timings import flow_timings
from api.flows import Flows
from api.login_ticket import TICKET_COOKIE
from api.remember_me import REMEMBER_COOKIE
from api.security import Signer
from api.sessions import SESSION_COOKIE
from api.throttling import POLICIES
from domain import digests
from domain.passwords import verify_password
from engine.codec import EncryptionCodec
from tests.support.enrolled_users import PASSWORD, PHONE, add_user
from tests.support.histories import decoded_text, update_names
from tests.support.password_checks import count_password_checks
from workflows.login import LoginStart, LoginWorkflow

EMAIL = "dana.doctor@example.com"
MASKED_EMAIL = "d*******@example.com"
UNKNOWN = "lou.nobody@example.com"
FLOW_COOKIE = Flows.cookie_name("login")
WRONG = "Your email address or password is incorrect."
USE_EMAIL = "You registered with email. Please use Login with Email."
WRONG_CODE = "The verification code is incorrect. Please try again."
TOO_MANY = "Too many attempts. Please try again in 1 minute."
# The API trusts the loopback proxy's X-Forwarded-For (FORWARDED_ALLOW_IPS): two clients.
ATTACKER = {"X-Forwarded-For": "203.0.113.66"}
DESK = {"X-Forwarded-For": "198.51.100.20"}


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


# --- "Sign in with your email address" ----------------------------------------------------------
async def test_the_sign_in_page_reads_as_the_guide(live_app):
    async with live_app.http() as http:
        for option in ("phone", "email"):
            page = await http.get(f"/login/{option}")
            assert page.status_code == 200
            assert "<h1>Sign in with your email address</h1>" in page.text
            assert '<label for="email">Email Address</label>' in page.text
            assert '<label for="password">Password</label>' in page.text
            assert '<a href="/password/reset">Forgot your password?</a>' in page.text
            assert ">Sign in</button>" in page.text and f'action="/login/{option}"' in page.text
            assert 'name="remember"' not in page.text
        remembered = await http.get("/login/email", params={"remember": "on"})
        assert '<input type="hidden" name="remember" value="on">' in remembered.text


async def test_wrong_password_and_unknown_email_get_the_same_answer(live_app):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        wrong = await sign_in_form(http, "phone", EMAIL, "Not-The-Password-1")
        unknown = await sign_in_form(http, "phone", UNKNOWN, PASSWORD)
        not_an_email = await sign_in_form(http, "phone", "dana at example", PASSWORD)
        empty = await sign_in_form(http, "phone", "", "")
        assert FLOW_COOKIE not in http.cookies
    for response in (wrong, unknown, not_an_email, empty):
        assert response.status_code == 422 and WRONG in response.text
        assert '<label for="email">Email Address</label>' in response.text
    # The typed email stays in its box, the password never comes back; nothing else differs.
    assert f'value="{EMAIL}"' in wrong.text and f'value="{UNKNOWN}"' in unknown.text
    assert "Not-The-Password-1" not in wrong.text and PASSWORD not in unknown.text
    assert wrong.text.replace(EMAIL, "") == unknown.text.replace(UNKNOWN, "")
    async with live_app.http() as http:
        answers = [
            await sign_in_api(http, "email", EMAIL, "Not-The-Password-1"),
            await sign_in_api(http, "email", UNKNOWN, PASSWORD),
        ]
    assert [(a.status_code, a.text) for a in answers] == [(422, '{"errors":{"form":"' + WRONG + '"}}')] * 2
    failed = await events(live_app, "login.failed")
    assert [e["detail"]["reason"] for e in failed] == ["credentials"] * 6
    assert failed[0]["subject_user_id"] is not None and failed[1]["subject_user_id"] is None


async def test_a_disabled_account_gets_the_same_answer_for_the_right_password(live_app):
    user_id = await add_user(live_app.pool, "email")
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(user_id))
    async with live_app.http() as http:
        response = await sign_in_api(http, "email")
    assert (response.status_code, response.json()) == (422, {"errors": {"form": WRONG}})


async def test_ten_failures_lock_the_email_on_this_client_until_the_lock_ends(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for _ in range(10):
            assert (await sign_in_api(http, "email", EMAIL, "wrong-guess")).status_code == 422
        locked = await sign_in_api(http, "email")
        assert (locked.status_code, locked.json()) == (429, {"errors": {"form": TOO_MANY}})
        page = await sign_in_form(http, "email")
        assert page.status_code == 429 and TOO_MANY in page.text and f'value="{EMAIL}"' in page.text
        assert FLOW_COOKIE not in http.cookies
        reasons = [e["detail"]["reason"] for e in await events(live_app, "login.failed")]
        assert reasons == ["credentials"] * 10 + ["throttled"] * 2
        [lockout] = await events(live_app, "login.locked_out")
        assert lockout["detail"]["seconds"] == 60
        async with live_app.pool.acquire() as conn:
            # A minute later (the store's own tests move its clock; here the lock is moved).
            await conn.execute("UPDATE throttles SET locked_until = now() - interval '1 second'")
        started = await sign_in_api(http, "email")
        assert started.status_code == 201, started.text
        assert started.json()["step"] == "email"


async def test_a_locked_unknown_address_answers_exactly_as_a_locked_account(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        answers = {}
        for email in (EMAIL, UNKNOWN):
            for _ in range(10):
                await sign_in_api(http, "email", email, "wrong-guess")
            answers[email] = await sign_in_api(http, "email", email, PASSWORD)
    assert [(a.status_code, a.text) for a in answers.values()] == [(429, '{"errors":{"form":"' + TOO_MANY + '"}}')] * 2


async def test_fifty_parallel_wrong_passwords_are_checked_at_most_ten_times(live_app, monkeypatch):
    """The race the lockout used to lose: every parallel request read "unlocked" before any
    failure was counted, so all fifty were checked. Reserved first, only ten ever are, and
    then the account answers as locked, the right password included."""
    await add_user(live_app.pool, "email")
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        answers = await asyncio.gather(*(sign_in_api(http, "email", EMAIL, f"wrong-{n}") for n in range(50)))
        right = await sign_in_api(http, "email")
    assert checks() == 10
    assert sorted(a.status_code for a in answers) == [422] * 10 + [429] * 40
    assert (right.status_code, right.json()) == (429, {"errors": {"form": TOO_MANY}})


async def test_an_attacker_elsewhere_does_not_lock_the_clinician_out(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for _ in range(12):
            await sign_in_api(http, "email", EMAIL, "wrong-guess", headers=ATTACKER)
        assert (await sign_in_api(http, "email", headers=ATTACKER)).status_code == 429
        at_the_desk = await sign_in_api(http, "email", headers=DESK)
    assert at_the_desk.status_code == 201, at_the_desk.text


async def test_failures_from_one_client_slow_it_down_but_never_lock_it_out(live_app):
    """One office's address: its free tries for other emails, then each waits for its slot;
    the right password still signs in (after the first slot's second)."""
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for attempt in range(POLICIES["login"].client.free):
            await sign_in_api(http, "email", f"guess{attempt}@example.com", "wrong-guess")
        started = await sign_in_api(http, "email")
        assert started.status_code == 201, started.text
    async with live_app.pool.acquire() as conn:
        client = await conn.fetchrow("SELECT failures, next_slot_at FROM throttles WHERE key = 'login:client:127.0.0.1'")
        keys = [r["key"] for r in await conn.fetch("SELECT key FROM throttles")]
    assert client["failures"] == POLICIES["login"].client.free and client["next_slot_at"] is not None
    assert not any("example.com" in key or "guess" in key for key in keys)  # digests, not addresses


async def test_an_email_user_is_told_to_use_login_with_email_after_the_right_password_only(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        wrong = await sign_in_form(http, "phone", EMAIL, "Not-The-Password-1")
        assert wrong.status_code == 422 and WRONG in wrong.text and USE_EMAIL not in wrong.text
        refused = await sign_in_form(http, "phone")
        assert refused.status_code == 422 and USE_EMAIL in refused.text
        assert f'value="{EMAIL}"' in refused.text and PASSWORD not in refused.text
        api = await sign_in_api(http, "phone")
        assert (api.status_code, api.json()) == (422, {"errors": {"form": USE_EMAIL}})
        assert FLOW_COOKIE not in http.cookies


async def test_a_user_without_mfa_is_sent_to_finish_the_registration(live_app):
    legacy = await add_user(live_app.pool, None)
    pending = await add_user(live_app.pool, None, username="pat.pending", email="pat.pending@example.com")
    async with live_app.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET status = 'pending', is_legacy = false, email_verified_at = now(),"
            " password_changed_at = now() WHERE id = $1",
            uuid.UUID(pending),
        )
    async with live_app.http() as http:
        page = await sign_in_form(http, "phone")
        assert page.status_code == 200
        assert "You have not completed the Multi-Factor Authentication registration." in page.text
        assert '<a href="/first-login">click here</a> to complete your registration.' in page.text
        other = await sign_in_form(http, "email", "pat.pending@example.com")
        assert 'Having trouble logging in? <a href="/help">Click here</a>' in other.text
        api = await sign_in_api(http, "email")
        assert api.status_code == 409 and api.json()["next"] == "/first-login"
        assert FLOW_COOKIE not in http.cookies
        # Before the password is right, nothing about the account shows.
        wrong = await sign_in_api(http, "email", EMAIL, "wrong-guess")
        assert (wrong.status_code, wrong.json()) == (422, {"errors": {"form": WRONG}})
    unfinished = await events(live_app, "login.mfa_unfinished")
    assert {str(e["subject_user_id"]) for e in unfinished} == {legacy, pending}


async def test_a_password_hashed_with_old_parameters_is_rehashed(live_app):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user_id = await add_user(live_app.pool, "email", password_hash=weak)
    async with live_app.pool.acquire() as conn:
        changed_before = await conn.fetchval("SELECT password_changed_at FROM users WHERE id = $1", uuid.UUID(user_id))
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).status_code == 201
    async with live_app.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT password_hash, password_changed_at FROM users WHERE id = $1", uuid.UUID(user_id))
    assert row["password_hash"] != weak and "m=19456,t=2,p=1" in row["password_hash"]
    assert verify_password(row["password_hash"], PASSWORD)
    assert row["password_changed_at"] == changed_before  # the same password, not a new one


async def test_forms_need_the_csrf_token(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        refused = await http.post("/login/email", data={"email": EMAIL, "password": PASSWORD})
        assert refused.status_code == 403 and FLOW_COOKIE not in http.cookies
        not_json = await http.post("/api/v1/login/email", data={"email": EMAIL, "password": PASSWORD})
        assert not_json.status_code in (415, 400)


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
        assert (view["step"], view["phone"], view["fields"]) == ("phone", "XXX-XXX-9885", {"option": "phone"})
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
        again = await http.get("/api/v1/login")
        assert again.status_code == 404  # the finished login is no longer bound
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
        view = await act(http, "email/send")
        assert view["step"] == "email_code"
        # The guide's 30 seconds, from the settings.
        sent = view["code"]
        assert sent["channel"] == "email" and sent["expires_at"] is not None
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        await act(http, "code/verify", {"code": code})
        done = await act(http, "continue")
        assert (done["step"], done["status"], done["grant"]) == ("done", "completed", "")
        assert await signed_in_name(http) == "Dana Doctor"
    assert flow_timings(live_app.settings, code_ttl=live_app.settings.login_email_code_ttl).code_ttl_seconds == 30
    await assert_history_clean(live_app, flow_id, PASSWORD, code)
    # Continue's own answer carried the sign-in: no separate claim followed it.
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    assert update_names(history) == ["first_screen", "send_email_code", "verify_code", "continue_login"]


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



# --- a reset or a disabled account ends logins under way -----------------------------------------
async def end_sign_ins(live_app, user_id: str) -> None:
    """What a password reset, an admin reset or `atrezzo user disable` does to the account."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="password_reset-elsewhere")
    await env.run(AccountActivities(live_app.pool).revoke_sign_ins, user_id)


async def test_a_login_begun_before_the_password_was_reset_cannot_finish_into_a_session(live_app, mail):
    """Someone who had the old password and is mid-login when the owner resets it must not
    get in with the code they can still read."""
    user_id = await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL)
        await end_sign_ins(live_app, user_id)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        finished = await http.post("/api/v1/login/continue", json={})
        assert (finished.status_code, finished.json()) == (403, {"detail": "This sign-in could not be completed. Please log in again."})
        assert await signed_in_name(http) is None
        # A new login, begun after the reset, goes through.
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL, count=2)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        assert (await act(http, "continue"))["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"
    reasons = [e["detail"]["reason"] for e in await events(live_app, "session.refused")]
    assert reasons == ["sign_ins_ended"]


async def test_continue_pressed_again_after_its_answer_was_lost_signs_in_that_browser(live_app, mail, monkeypatch):
    # The API process died after the flow handed over the sign-in and before the browser got
    # its session (the proving ground's kill -9 mid-request): the flow has ended, and the
    # person's second press must still sign this browser in — and no other.
    await add_user(live_app.pool, "email")
    real_sign_in = flow_sign_in.sign_in

    async def dies_after_the_claim(*args, **kwargs):
        monkeypatch.setattr(flow_sign_in, "sign_in", real_sign_in)
        raise ConnectionResetError("the process died here")

    monkeypatch.setattr(flow_sign_in, "sign_in", dies_after_the_claim)
    async with live_app.http() as http, live_app.http() as other:
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        flow_id = http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]
        assert (await http.post("/api/v1/login/continue", json={})).status_code == 503  # "try again"
        await live_app.client.get_workflow_handle(flow_id).result()  # the flow has ended
        # Someone holding only the flow's cookie (not this browser's binding) gets nothing.
        other.cookies.set(FLOW_COOKIE, http.cookies[FLOW_COOKIE])
        assert (await other.post("/api/v1/login/continue", json={})).status_code in (403, 404)
        assert await signed_in_name(other) is None
        assert (await act(http, "continue"))["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"


async def test_continue_pressed_twice_at_once_leaves_one_sign_in(live_app, mail):
    # A double click (or two tabs) on Continue: the second press is the same browser claiming
    # again, and it may sign in; the first session it replaces must end, not live on unused.
    user_id = await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        presses = await asyncio.gather(*(http.post("/api/v1/login/continue", json={}) for _ in range(4)))
        assert {p.status_code for p in presses} <= {200, 403, 404}, [(p.status_code, p.text) for p in presses]
        assert await signed_in_name(http) == "Dana Doctor"
    async with live_app.pool.acquire() as conn:
        live = await conn.fetchval(
            "SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", uuid.UUID(user_id))
    assert live == 1


async def test_a_disabled_account_finishes_no_login_under_way(live_app, mail):
    user_id = await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL)
        async with live_app.pool.acquire() as conn:
            await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(user_id))
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        assert (await http.post("/api/v1/login/continue", json={})).status_code == 403
        assert await signed_in_name(http) is None
    assert [e["detail"]["reason"] for e in await events(live_app, "session.refused")] == ["not_active"]


async def test_a_kepro_address_is_pointed_to_the_kepro_box(live_app, monkeypatch):
    """Guide, "Customer or Provider Login": users with a kepro.com address use the Kepro box."""
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        api = await sign_in_api(http, "email", "Sam.Staff@KEPRO.com", PASSWORD)
        page = await sign_in_form(http, "phone", "sam.staff@kepro.com", PASSWORD)
    kepro = "This is a Kepro address: please use the LOGIN button in the Kepro box on the login page."
    assert api.status_code == 422 and api.json()["errors"]["form"].startswith(kepro)
    assert page.status_code == 422 and kepro in page.text
    assert checks() == 0  # decided by the address alone, before any password

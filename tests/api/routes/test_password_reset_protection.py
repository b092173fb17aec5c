"""Forgot or Reset Password against the real stack, on what protects it: an unknown address gets
the very same answers and nothing is sent to it; bad addresses and requests without their token
are refused; wrong codes lock the address across flows, known or not; requests are limited per
address with the same answer; and an idle reset expires with a page to start again."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

from api.code_checks import GUESSED as MISSED
from api.flow_timings import flow_timings
from api.security import Signer
from domain import digests
from tests.api.routes.test_password_reset import (
    EMAIL,
    FLOW_COOKIE,
    NEW_PASSWORD,
    WRONG_CODE,
    act,
    assert_history_clean,
    csrf_of,
    email_code,
    flow_of,
    passwords,
    start,
)
from tests.support.app import running_app
from tests.support.enrolled_users import add_user
from tests.support.messaging import SlowRelay, smtp_server
from workflows.password_reset import PasswordResetStart, PasswordResetWorkflow

# Masks like EMAIL ("d*******@example.com"): the screens may differ in nothing.
UNKNOWN = "dan.nobody@example.com"
TOO_MANY = "Too many attempts. Please try again in 1 minute."
SLOW = 0.8  # seconds a slow mail server takes over each message


# --- no account enumeration ---------------------------------------------------------------------
async def test_an_unknown_address_gets_the_same_answers_and_nothing_is_sent(live_app, mail):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        csrf = csrf_of((await http.get("/password/reset")).text)
        answers = {}
        for address in (EMAIL, UNKNOWN):
            form = await http.post("/password/reset", data={"email": address, "csrf_token": csrf})
            screen = await http.get("/password/reset/code")
            api = await http.post("/api/v1/password/reset", json={"email": address})
            api_screen = await http.get("/api/v1/password/reset/code")
            answers[address] = [(r.status_code, r.text) for r in (form, screen, api, api_screen)]
            wrong = await http.post("/password/reset/code/verify", data={"code": "123456", "csrf_token": csrf})
            answers[address].append((wrong.status_code, wrong.text.replace("123456", "")))
        assert answers[EMAIL] == answers[UNKNOWN]
        assert answers[EMAIL][0][0] == 303 and answers[EMAIL][2][0] == 202
        unknown_flow = flow_of(http)
        # No code was sent, so none verifies; and there is no way past the code screen.
        await act(http, "code/verify", {"code": await email_code(mail, count=2)}, errors={"code": WRONG_CODE})
        await act(http, "continue", errors={"form": "Please verify your email address first."})
        await act(http, "password", passwords(NEW_PASSWORD), errors={"form": "Please verify your email address first."})
    assert mail.messages_to(UNKNOWN) == []
    await assert_history_clean(live_app, unknown_flow, UNKNOWN, NEW_PASSWORD)


async def test_a_new_code_for_an_unknown_address_takes_as_long_as_one_for_a_known_address(temporal_env, twilio_sandbox, db_url):
    # A decoy that waited a fixed 60-400 ms answered Send new code well before a real send
    # through a slow mail server did: the answer's timing told which addresses have accounts.
    with smtp_server(SlowRelay(SLOW)) as port:
        relay = SimpleNamespace(smtp_host="127.0.0.1", smtp_port=port)
        async with running_app(temporal_env, relay, twilio_sandbox, db_url, code_resend_cooldown=timedelta(seconds=1)) as app:
            await add_user(app.pool, "email")
            took, answers = {}, {}
            for address in (EMAIL, UNKNOWN):
                async with app.http() as http:
                    await start(http, address)
                    await asyncio.sleep(SLOW + 2)  # the first send is over, and so is the cooldown
                    pressed = time.monotonic()
                    answers[address] = await act(http, "code/send")
                    took[address] = time.monotonic() - pressed
    assert answers[UNKNOWN] == answers[EMAIL]
    assert took[EMAIL] >= SLOW and took[UNKNOWN] >= SLOW


# --- bad input and protection ----------------------------------------------------------------------
async def test_bad_addresses_and_requests_without_csrf_are_refused(live_app):
    async with live_app.http() as http:
        refused = await http.post("/api/v1/password/reset", json={"email": "not an email"})
        assert refused.status_code == 422 and refused.json()["errors"]["email"].startswith("Enter a valid email address.")
        assert (await http.post("/password/reset", data={"email": EMAIL})).status_code == 403
        assert FLOW_COOKIE not in http.cookies
        await start(http, UNKNOWN)
        # A cross-site page can post a form, but not JSON: the JSON twins take nothing else.
        assert (await http.post("/api/v1/password/reset/continue", data={"x": "1"})).status_code == 415
        assert (await http.post("/password/reset/code/verify", data={"code": "123456"})).status_code == 403
        assert (await http.post("/password/reset/password", data=passwords(NEW_PASSWORD))).status_code == 403
    async with live_app.http() as stranger:
        page = await stranger.get("/password/reset/code")
        assert page.status_code == 404 and "This password reset has expired. Please start again." in page.text
        assert 'href="/password/reset"' in page.text


async def test_wrong_codes_lock_the_address_across_flows_known_or_not(live_app, mail):
    await add_user(live_app.pool, "email")
    answers = {}
    for address in (EMAIL, UNKNOWN):
        async with live_app.http() as http:
            await start(http, address)
            # Ten wrong codes lock the address (the tenth says so). A try that lands before the
            # flow has sent its first code ("request a code first") is not a guess: not counted.
            counted = 0
            for _ in range(30):
                response = await http.post("/api/v1/password/reset/code/verify", json={"code": "123456"})
                answer = response.json()["errors"]["code"]
                if answer == TOO_MANY:
                    break
                counted += response.json()["error_codes"].get("code") in MISSED
            assert counted == 9
            await start(http, address)  # a new flow and a new code: the address stays locked
            locked = await http.post("/api/v1/password/reset/code/verify", json={"code": "123456"})
            answers[address] = locked.json()["errors"]
    assert answers[EMAIL] == answers[UNKNOWN] == {"code": TOO_MANY}
    async with live_app.http() as http:
        await start(http, EMAIL)
        code = await email_code(mail, count=3)
        await act(http, "code/verify", {"code": code}, errors={"code": TOO_MANY})


async def test_requests_are_limited_per_address_with_the_same_answer(live_app, mail):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        csrf = csrf_of((await http.get("/password/reset")).text)
        answers = set()
        for _ in range(5):
            answer = await http.post("/password/reset", data={"email": EMAIL, "csrf_token": csrf})
            answers.add((answer.status_code, answer.headers["location"], answer.text))
        assert FLOW_COOKIE in http.cookies
        await mail.wait_for_messages_to(EMAIL, count=5)
        throttled = await http.post("/password/reset", data={"email": EMAIL.upper(), "csrf_token": csrf})
        answers.add((throttled.status_code, throttled.headers["location"], throttled.text))
        assert answers == {(303, "/password/reset/code", "")}
        assert FLOW_COOKIE not in http.cookies  # nothing was started for it
        page = await http.get("/password/reset/code")
        assert page.status_code == 404 and "wait a few minutes" in page.text
    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch("SELECT detail FROM audit_events WHERE event = 'password_reset.requested' ORDER BY id")
    assert [r["detail"]["throttled"] for r in rows] == [False] * 5 + [True]


async def test_an_idle_reset_expires_with_a_page_to_start_again(live_app, temporal_env):
    user_id = await add_user(live_app.pool, "email")
    flow_id = f"password_reset-{uuid.uuid4()}"
    start_arg = PasswordResetStart(user_id, EMAIL, timings=flow_timings(live_app.settings))
    handle = await live_app.client.start_workflow(
        PasswordResetWorkflow.run, start_arg, id=flow_id, task_queue=live_app.settings.temporal_task_queue
    )
    signer = Signer(digests.derive_key(live_app.settings.secret_key, digests.COOKIE_KEY))
    await temporal_env.fast_forward(handle, live_app.settings.enrollment_idle_timeout + timedelta(minutes=1))
    assert await handle.result() == "expired"
    async with live_app.http() as http:
        http.cookies.set(FLOW_COOKIE, signer.sign(flow_id))
        page = await http.get("/password/reset/code")
        assert "This password reset has expired. Please start again." in page.text
        assert 'href="/password/reset"' in page.text
        assert (await http.get("/api/v1/password/reset/code")).json()["step"] == "expired"
        gone = await http.post("/api/v1/password/reset/continue", json={})
        assert gone.status_code == 404 and gone.json()["step"] == "expired"

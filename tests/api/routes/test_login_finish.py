"""How a login under way finishes, against the real stack: a password reset or a disabled
account stops it from ending in a session, Continue pressed again after a lost answer, or
twice at once, leaves one sign-in, in the browser that pressed it, and no press of a whole
login waits on a query of its flow."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from temporalio.testing import ActivityEnvironment

from activities.postgres import AccountActivities
from api import flow_sign_in
from api.flow_sign_in import SIGNED_IN_ALREADY
from tests.api.routes.test_login import (
    EMAIL, FLOW_COOKIE, act, csrf_of, events, sign_in_api, sign_in_form, signed_in_name, submit,
)
from tests.support.crashes import dies_once
from tests.support.enrolled_users import add_user
from tests.support.flow_queries import count_flow_queries


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
    dies_once(monkeypatch, flow_sign_in, "sign_in")
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


async def test_continue_pressed_again_once_its_answer_signed_the_browser_in_goes_home(live_app, mail):
    # The answer's headers reached the browser (its session set, the login's cookie dropped)
    # and its page did not — the API died between the two (the proving ground saw it), or the
    # second click of a double click went out after them: the press again finds no login, in
    # a browser that is signed in. That is home, not "This page has expired".
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        assert (await sign_in_form(http, "email")).headers["location"] == "/login"
        csrf = csrf_of((await http.get("/login")).text)
        await submit(http, "email/send", csrf)
        await mail.wait_for_messages_to(EMAIL)
        await submit(http, "code/verify", csrf, code=mail.last_code_to(EMAIL))
        assert (await submit(http, "continue", csrf, status=303)).headers["location"] == "/home"
        assert FLOW_COOKIE not in http.cookies
        assert (await submit(http, "continue", csrf, status=303)).headers["location"] == "/home"
        assert (await http.get("/login")).headers["location"] == "/home"
        again = await http.post("/api/v1/login/continue", json={})
        assert (again.status_code, again.json()) == (409, {"detail": SIGNED_IN_ALREADY})
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
        assert {p.status_code for p in presses} <= {200, 403, 404, 409}, [(p.status_code, p.text) for p in presses]
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


async def test_every_press_of_a_login_with_email_is_one_call_to_its_flow(live_app, mail, monkeypatch):
    """Started with its first answer, then one update a press: nothing asks the flow first."""
    await add_user(live_app.pool, "email")
    queried = count_flow_queries(monkeypatch)
    async with live_app.http() as http:
        assert (await http.get("/api/v1/login/email", params={"remember": "false"})).status_code == 200
        assert (await sign_in_api(http, "email")).status_code == 201
        await act(http, "email/send")
        await mail.wait_for_messages_to(EMAIL)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        assert (await act(http, "continue"))["status"] == "completed"
        assert await signed_in_name(http) == "Dana Doctor"
    assert queried == []

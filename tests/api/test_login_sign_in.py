"""The end of a Login with Email against the real stack (api/login_sign_in.py): the flow ends
at "E-mail address verified" and hands its sign-in to the edge, and Continue makes the session
without a call to the engine — once, for the browser that verified, for the account whose
password it gave, and not after a reset, a sign-out or the login's idle time."""

from __future__ import annotations

from datetime import timedelta

from api import login_sign_in
from api.flow_sign_in import REFUSED
from api.login_ticket import TICKET_COOKIE
from tests.api.routes.test_login import EMAIL, FLOW_COOKIE, act, bound_flow, csrf_of, events, sign_in_api, signed_in_name
from tests.api.routes.test_login_finish import end_sign_ins
from tests.support.crashes import dies_once
from tests.support.enrolled_users import add_user
from tests.support.histories import update_names
from workflows import login, versions
from workflows.login import VERIFIED


async def code_sent(http, mail) -> dict[str, str]:
    """A Login with Email up to its code's arrival: the code, as Verify code takes it."""
    assert (await sign_in_api(http, "email")).status_code == 201
    await act(http, "email/send")
    await mail.wait_for_messages_to(EMAIL)
    return {"code": mail.last_code_to(EMAIL)}


async def verified(http, mail) -> dict:
    """A Login with Email up to "E-mail address verified"."""
    return await act(http, "code/verify", await code_sent(http, mail))


async def test_the_login_ends_at_verified_and_continue_signs_in_at_the_edge(live_app, mail):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        view = await verified(http, mail)
        flow_id = bound_flow(http)
        assert (view["step"], view["notice"], view["status"]) == ("verified", VERIFIED, "running")
        handle = live_app.client.get_workflow_handle(flow_id)
        assert await handle.result() == "signed_in"  # over before Continue: nothing waits on it
        assert await signed_in_name(http) is None  # not signed in until Continue
        # A reload shows the screen again, and Continue still signs in.
        assert (await http.get("/api/v1/login")).json()["step"] == "verified"
        assert (await act(http, "continue"))["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"
        assert FLOW_COOKIE not in http.cookies and TICKET_COOKIE not in http.cookies
    assert update_names(await handle.fetch_history()) == ["first_screen", "send_email_code", "verify_code"]
    assert len(await events(live_app, "login.succeeded")) == 1


async def test_a_reset_between_verified_and_continue_signs_nobody_in(live_app, mail):
    user_id = await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        await verified(http, mail)
        await end_sign_ins(live_app, user_id)
        finished = await http.post("/api/v1/login/continue", json={})
        assert (finished.status_code, finished.json()) == (403, {"detail": REFUSED})
        assert await signed_in_name(http) is None
    assert [e["detail"]["reason"] for e in await events(live_app, "session.refused")] == ["sign_ins_ended"]


async def test_the_cookies_of_a_finished_login_do_not_sign_in_again_after_sign_out(live_app, mail):
    # Someone at the same computer keeps a copy of the login's cookies from before Continue, and
    # replays them once the owner has signed out. Before, this signed in again for two minutes.
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        await verified(http, mail)
        kept = {name: http.cookies[name] for name in (FLOW_COOKIE, TICKET_COOKIE)}
        await act(http, "continue")
        home = await http.get("/home")
        assert (await http.post("/logout", data={"csrf_token": csrf_of(home.text)})).status_code == 303
        for name, value in kept.items():
            http.cookies.set(name, value)
        replayed = await http.post("/api/v1/login/continue", json={})
        assert replayed.status_code == 409, replayed.text
        assert await signed_in_name(http) is None
    assert len(await events(live_app, "login.succeeded")) == 1


async def test_continue_after_the_logins_idle_time_finds_no_login(live_app, mail):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        await verified(http, mail)
        resources = live_app.app.state.resources
        resources.settings = resources.settings.model_copy(update={"login_idle_timeout": timedelta(0)})
        assert (await http.post("/api/v1/login/continue", json={})).status_code == 404
        assert await signed_in_name(http) is None


async def test_verify_pressed_again_after_its_answer_was_lost_leads_to_continue(live_app, mail, monkeypatch):
    # The API died after the flow ended and handed over the sign-in, before the browser had it:
    # the press again finds the flow ended, and the sign-in is claimed again for this browser only.
    await add_user(live_app.pool, "email")
    dies_once(monkeypatch, login_sign_in, "claim_bound")
    async with live_app.http() as http, live_app.http() as other:
        code = await code_sent(http, mail)
        assert (await http.post("/api/v1/login/code/verify", json=code)).status_code == 503  # "try again"
        other.cookies.set(FLOW_COOKIE, http.cookies[FLOW_COOKIE])  # the flow's cookie alone
        assert (await other.post("/api/v1/login/code/verify", json=code)).status_code == 404
        assert (await act(http, "code/verify", code))["step"] == "verified"
        assert (await act(http, "continue"))["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"
        assert await signed_in_name(other) is None


async def test_a_login_started_before_the_change_finishes_by_continues_update(live_app, mail, monkeypatch):
    # A run that began on the code before (it decided at its start that it is before the change)
    # waits at "verified", and its Continue is still its last update.
    await add_user(live_app.pool, "email")

    def before_the_change(change: str) -> bool:
        return change != versions.EMAIL_LOGIN_ENDS_VERIFIED and versions.patched(change)

    monkeypatch.setattr(login, "patched", before_the_change)
    async with live_app.http() as http:
        view = await verified(http, mail)
        monkeypatch.undo()
        assert (view["step"], view["signs_in_at_continue"]) == ("verified", False)
        handle = live_app.client.get_workflow_handle(bound_flow(http))
        assert (await act(http, "continue"))["step"] == "done"
        assert await signed_in_name(http) == "Dana Doctor"
    assert update_names(await handle.fetch_history()) == ["first_screen", "send_email_code", "verify_code", "continue_login"]

"""How an MFA enrollment through the API ends, against the real stack: a finished one signs in
only once, an idle one shows the timeout page, forms need their token and a bound flow, one
begun before an admin reset cannot finish into a session, and wrong codes are limited per
account and client across enrollments."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.testing import ActivityEnvironment

from activities.postgres import AccountActivities
from tests.api.routes.test_enrollment import (
    EMAIL,
    FLOW_COOKIE,
    PASSWORD,
    RESUMED,
    WRONG_CODE,
    act,
    add_legacy_user,
    first_login,
    other_code,
    passwords,
    post,
    start_enrollment,
)
from workflows.code_challenge import MESSAGES, Outcome


# --- the end of a flow -----------------------------------------------------------------------------
async def test_a_finished_enrollment_signs_in_only_once(live_app):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as first, live_app.http() as second:
        await start_enrollment(live_app, first, user_id, **RESUMED)
        second.cookies.set(FLOW_COOKIE, first.cookies[FLOW_COOKIE])
        done = await act(first, "use-email")
        assert done["step"] == "done" and "atrezzo_session" in first.cookies
        again = await second.get("/mfa")
        assert again.status_code == 303 and again.headers["location"] == "/?notice=mfa_already_registered"
        api = await second.get("/api/v1/mfa")
        assert api.status_code == 409 and "Please log in" in api.json()["detail"]
        assert "atrezzo_session" not in second.cookies


async def test_an_idle_enrollment_shows_the_timeout_page(live_app, temporal_env):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id)
        handle = live_app.client.get_workflow_handle(flow_id)
        await temporal_env.fast_forward(handle, live_app.settings.enrollment_idle_timeout + timedelta(minutes=1))
        assert await handle.result() == "abandoned"
        page = await http.get("/mfa")
        assert "Your registration session has timed out." in page.text
        assert "to continue where you left off." in page.text and "Having trouble logging in?" in page.text
        assert (await http.get("/api/v1/mfa")).json()["step"] == "abandoned"
        gone = await http.post("/api/v1/mfa/method", json={"method": "email"})
        assert gone.status_code == 404


async def test_forms_need_the_csrf_token_and_a_bound_flow(live_app):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as stranger:
        assert (await stranger.get("/mfa")).status_code == 404
    async with live_app.http() as http:
        await start_enrollment(live_app, http, user_id)
        refused = await http.post("/mfa/method", data={"method": "email"})
        assert refused.status_code == 403
        assert (await http.get("/api/v1/mfa")).json()["step"] == "method"
        # A cross-site page can post a form, but not JSON: the JSON twins take nothing else.
        assert (await http.post("/api/v1/mfa/code/send", data={"x": "1"})).status_code == 415


# --- what ends an enrollment's sign-in -------------------------------------------------------------
async def test_an_enrollment_begun_before_an_admin_reset_cannot_finish_into_a_session(live_app, mail):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        await first_login(http)
        await act(http, "method", {"method": "email"})
        await act(http, "email/on-record")
        await mail.wait_for_messages_to(EMAIL)
        await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        # Meanwhile the provider administrator resets this user (it ends every sign-in).
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id=f"admin-reset-{user_id}")
        await env.run(AccountActivities(live_app.pool).revoke_sign_ins, user_id)
        finished = await http.post("/api/v1/mfa/password", json=passwords(PASSWORD))
        assert (finished.status_code, finished.json()) == (403, {"detail": "This sign-in could not be completed. Please log in again."})
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_wrong_codes_are_throttled_per_account_and_client_across_enrollments(live_app, mail):
    """Each enrollment allows five tries per code; a new first login would start a new count,
    so the edge counts too: ten wrong codes for the account from this client lock it."""
    await add_legacy_user(live_app.pool)
    answers = []
    async with live_app.http() as http:
        for round_ in range(2):
            await first_login(http)
            await act(http, "method", {"method": "email"})
            await act(http, "email/on-record")
            await mail.wait_for_messages_to(EMAIL, count=round_ + 1)
            code = mail.last_code_to(EMAIL)
            for _ in range(5):
                answers.append((await post(http, "code/verify", {"code": other_code(code)}))["errors"]["code"])
        locked = await post(http, "code/verify", {"code": code})
    assert answers[:9] == [WRONG_CODE] * 4 + [MESSAGES[Outcome.LOCKED]] + [WRONG_CODE] * 4
    assert answers[9] == locked["errors"]["code"] == "Too many attempts. Please try again in 1 minute."
    async with live_app.pool.acquire() as conn:
        failed = await conn.fetchval("SELECT count(*) FROM audit_events WHERE event = 'mfa.code_failed'")
    assert failed == 10

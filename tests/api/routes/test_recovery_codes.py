"""New recovery codes from the home page (api/routes/recovery_codes.py, issue 10) against the
real stack: only with the password typed again, only for an authenticator-app user, the old
set void and the new one shown once, the person told by email."""

from __future__ import annotations

import re
import uuid

from api.sessions import SESSION_COOKIE
from store import recovery_codes as stored_codes
from tests.api.routes.test_enrollment_app import digests_of, stored_digests
from tests.api.routes.test_login import EMAIL, csrf_of, events
from tests.support.enrolled_users import PASSWORD, add_app_user, add_user, session_token


async def signed_in(live_app, http, user_id: str) -> None:
    http.cookies.set(SESSION_COOKIE, await session_token(live_app, user_id))


async def test_new_codes_need_the_password_and_replace_the_old_ones(live_app, mail):
    user_id, _ = await add_app_user(live_app.pool, live_app.settings.secret_key)
    async with live_app.pool.acquire() as conn:
        await stored_codes.replace(conn, uuid.UUID(user_id), ["a" * 64, "b" * 64])
    async with live_app.http() as http:
        await signed_in(live_app, http, user_id)
        assert (await http.get("/api/v1/account")).json()["recovery_codes_left"] == 2
        wrong = await http.post("/api/v1/account/recovery-codes", json={"password": PASSWORD + "x"})
        assert (wrong.status_code, wrong.json()) == (422, {"errors": {"password": "Your password is incorrect."}})
        assert await stored_digests(live_app, user_id) == {"a" * 64, "b" * 64}
        made = await http.post("/api/v1/account/recovery-codes", json={"password": PASSWORD})
        assert made.status_code == 201
        codes = made.json()["recovery_codes"]
        assert len(codes) == 10 and await stored_digests(live_app, user_id) == digests_of(live_app, user_id, codes)
        assert (await http.get("/api/v1/account")).json()["recovery_codes_left"] == 10
    [notice] = await mail.wait_for_messages_to(EMAIL)
    assert notice["subject"] == "New Atrezzo recovery codes were made" and "no longer work" in notice["text"]
    assert not any(code in notice["text"] for code in codes)
    assert len(await events(live_app, "recovery_codes.issued")) == 1
    assert len(await events(live_app, "account.password_again_failed")) == 1


async def test_through_the_home_page_forms(live_app):
    user_id, _ = await add_app_user(live_app.pool, live_app.settings.secret_key)
    async with live_app.http() as http:
        await signed_in(live_app, http, user_id)
        home = await http.get("/home")
        assert "Recovery codes" in home.text and '<a href="/account/recovery-codes">Get new recovery codes</a>' in home.text
        page = await http.get("/account/recovery-codes")
        csrf = csrf_of(page.text)
        refused = await http.post("/account/recovery-codes", data={"password": "not it", "csrf_token": csrf})
        assert refused.status_code == 422 and "Your password is incorrect." in refused.text
        made = await http.post("/account/recovery-codes", data={"password": PASSWORD, "csrf_token": csrf})
        assert made.status_code == 200 and "Your New Recovery Codes" in made.text
        shown = re.findall(r"<li><code>([A-Z2-7-]{19})</code></li>", made.text)
        assert len(shown) == 10 and await stored_digests(live_app, user_id) == digests_of(live_app, user_id, shown)


async def test_only_a_signed_in_app_user_gets_codes(live_app):
    async with live_app.http() as http:
        anonymous = await http.post("/api/v1/account/recovery-codes", json={"password": PASSWORD})
        assert anonymous.status_code == 401
    email_user = await add_user(live_app.pool, "email", username="erin", email="erin@example.com")
    async with live_app.http() as http:
        await signed_in(live_app, http, email_user)
        refused = await http.post("/api/v1/account/recovery-codes", json={"password": PASSWORD})
        assert refused.status_code == 409 and await stored_digests(live_app, email_user) == set()
        assert (await http.get("/api/v1/account")).json()["recovery_codes_left"] is None
        assert "Get new recovery codes" not in (await http.get("/home")).text

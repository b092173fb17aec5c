"""Remember Me (guide Section 5) through the API against the real stack: set by a complete
login with the box checked, it skips the password and the second factor for the same option
only; the other option asks for everything; an unchecked box turns it off; a server-side
expiry ends it. (The 3 h 59 min / 4 h 01 min boundary is the store's test, with its clock.)"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from api.remember_me import REMEMBER_COOKIE
from api.sessions import SESSION_COOKIE
from domain.digests import REMEMBER_KEY, derive_key, token_digest
from tests.support.enrolled_users import PASSWORD, PHONE, add_user

EMAIL = "dana.doctor@example.com"
SIGN_IN_PAGE = "<h1>Sign in with your email address</h1>"


async def log_in_by_phone(http, phones, *, remember: bool, sms_count: int = 1) -> None:
    """The whole Login with Phone, by SMS, through the JSON twins."""
    started = await http.post("/api/v1/login/phone", json={"email": EMAIL, "password": PASSWORD, "remember": remember})
    assert started.status_code == 201, started.text
    assert (await http.post("/api/v1/login/phone/send", json={"channel": "sms"})).json()["step"] == "phone_code"
    await phones.wait_for_sms_to(PHONE, count=sms_count)
    done = await http.post("/api/v1/login/code/verify", json={"code": phones.last_code_sms_to(PHONE)})
    assert done.json()["step"] == "done", done.text


async def sign_out(http) -> None:
    http.cookies.delete(SESSION_COOKIE)
    assert (await http.get("/api/v1/me")).status_code == 401


async def tokens(live_app) -> list:
    async with live_app.pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM remember_me_tokens ORDER BY id")


async def events(live_app, event: str) -> list:
    async with live_app.pool.acquire() as conn:
        return await conn.fetch("SELECT subject_user_id, detail FROM audit_events WHERE event = $1 ORDER BY id", event)


async def test_a_checked_box_remembers_the_browser_for_that_option_only(live_app, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        [cookie] = [c for c in http.cookies.jar if c.name == REMEMBER_COOKIE]
        # A browser-session cookie: no expiry of its own, so it goes when the browser's session does.
        assert cookie.expires is None and cookie.path == "/" and not cookie.secure
        assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "lax"
        [token] = await tokens(live_app)
        key = derive_key(live_app.settings.secret_key, REMEMBER_KEY)
        assert token["token_digest"] == token_digest(key, cookie.value) != cookie.value
        assert (str(token["user_id"]), token["login_option"]) == (user_id, "phone")
        assert token["expires_at"] - token["created_at"] == live_app.settings.remember_me_ttl

        await sign_out(http)
        skipped = await http.get("/login/phone", params={"remember": "on"})
        assert skipped.status_code == 303 and skipped.headers["location"] == "/home"
        assert "Welcome, Dana Doctor" in (await http.get("/home")).text
        assert len(phones.sms_to(PHONE)) == 1  # no second factor this time

        await sign_out(http)
        other = await http.get("/login/email", params={"remember": "on"})
        assert other.status_code == 200 and SIGN_IN_PAGE in other.text
        assert (await http.get("/api/v1/me")).status_code == 401
        # Asking for everything on the other option leaves the phone's Remember Me as it was.
        assert (await http.get("/api/v1/login/phone", params={"remember": True})).json() == {"signed_in": True}
        assert (await http.get("/api/v1/me")).status_code == 200
    used = await events(live_app, "remember_me.used")
    assert [(str(e["subject_user_id"]), e["detail"]) for e in used] == [(user_id, {"option": "phone"})] * 2
    [issued] = await events(live_app, "remember_me.issued")
    assert issued["detail"] == {"option": "phone"}
    [succeeded] = await events(live_app, "login.succeeded")
    assert succeeded["detail"]["remember_me"] is True


async def test_an_unchecked_box_turns_remember_me_off(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        cookie = http.cookies[REMEMBER_COOKIE]
        await sign_out(http)
        unchecked = await http.get("/login/phone")
        assert unchecked.status_code == 200 and SIGN_IN_PAGE in unchecked.text
        assert REMEMBER_COOKIE not in http.cookies
        assert (await http.get("/")).text.count("checked") == 0
        # Even a browser that kept the cookie is asked for everything now.
        http.cookies.set(REMEMBER_COOKIE, cookie)
        again = await http.get("/login/phone", params={"remember": "on"})
        assert again.status_code == 200 and SIGN_IN_PAGE in again.text
    [token] = await tokens(live_app)
    assert token["revoked_at"] is not None
    assert len(await events(live_app, "remember_me.turned_off")) == 1


async def test_remember_me_ends_at_its_server_side_expiry(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        await sign_out(http)
        async with live_app.pool.acquire() as conn:
            # Four hours later, as far as the token knows.
            await conn.execute(
                "UPDATE remember_me_tokens SET created_at = created_at - interval '4 hours 1 minute',"
                " expires_at = expires_at - interval '4 hours 1 minute'"
            )
        refused = await http.get("/login/phone", params={"remember": "on"})
        assert refused.status_code == 200 and SIGN_IN_PAGE in refused.text


async def test_a_login_without_the_box_sets_nothing_and_a_new_one_replaces_the_old(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=False)
        assert REMEMBER_COOKIE not in http.cookies and await tokens(live_app) == []
        await log_in_by_phone(http, phones, remember=True, sms_count=2)
        first = http.cookies[REMEMBER_COOKIE]
        await log_in_by_phone(http, phones, remember=True, sms_count=3)
        assert http.cookies[REMEMBER_COOKIE] != first
    old, new = await tokens(live_app)
    assert old["revoked_at"] is not None and new["revoked_at"] is None


async def test_a_disabled_account_is_not_remembered(live_app, phones):
    user_id = await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        await sign_out(http)
        async with live_app.pool.acquire() as conn:
            await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(user_id))
        assert (await http.get("/api/v1/login/phone", params={"remember": True})).json() == {"signed_in": False}


async def test_signing_out_forgets_this_browser_and_the_box_comes_back_unchecked(live_app, phones):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        assert 'value="on" checked>' in (await http.get("/")).text
        home = await http.get("/home")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)[1]
        out = await http.post("/logout", data={"csrf_token": csrf})
        assert (out.status_code, out.headers["location"]) == (303, "/?notice=signed_out")
        assert REMEMBER_COOKIE not in http.cookies and SESSION_COOKIE not in http.cookies
        login = await http.get("/")
        assert 'id="remember" name="remember" type="checkbox" value="on">' in login.text  # unchecked
        asked = await http.get("/login/phone", params={"remember": "on"})
        assert asked.status_code == 200 and SIGN_IN_PAGE in asked.text
    [token] = await tokens(live_app)
    assert token["revoked_at"] is not None
    [turned_off] = await events(live_app, "remember_me.turned_off")


async def test_a_remembered_sign_in_ends_twelve_hours_after_the_real_login(live_app, phones):
    """Remember Me skips the password and the code, not the absolute limit: a session it
    opens counts its 12 hours from the login that set it."""
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        await log_in_by_phone(http, phones, remember=True)
        async with live_app.pool.acquire() as conn:
            # That login was 3 hours ago (the token still has an hour to live).
            await conn.execute(
                "UPDATE remember_me_tokens SET created_at = created_at - interval '3 hours',"
                " authenticated_at = authenticated_at - interval '3 hours'"
            )
        await sign_out(http)
        assert (await http.get("/login/phone", params={"remember": "on"})).headers["location"] == "/home"
        assert (await http.get("/api/v1/me")).status_code == 200
    async with live_app.pool.acquire() as conn:
        [token] = await conn.fetch("SELECT authenticated_at FROM remember_me_tokens")
        remembered = await conn.fetchrow("SELECT * FROM sessions ORDER BY created_at DESC LIMIT 1")
    absolute = live_app.settings.session_absolute_timeout
    assert remembered["authenticated_at"] == token["authenticated_at"]
    assert remembered["absolute_expires_at"] == token["authenticated_at"] + absolute
    assert remembered["absolute_expires_at"] - remembered["created_at"] < absolute - timedelta(hours=2)

"""The login page as the guide draws it, its fixed set of notices, and the account home."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from api.remember_me import REMEMBER_COOKIE
from api.routes.portal import NOTICES
from store.remember_me import issue_token
from tests.support.provider_admins import member, signed_in


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def test_login_page_reads_as_the_guide(session_app):
    async with session_app.http() as http:
        page = await http.get("/")
    assert page.status_code == 200
    for text in (
        "<h1>LOGIN OPTIONS</h1>",
        ">Kepro</h2>",
        "Use this login button if you have a Kepro domain account.",
        ">Customer/Provider</h2>",
        "Use this login button if you are a customer or provider user.",
        "If you don't already have a Kepro account, you can <a href=\"/register\">register here</a>.",
        "If this is your first login with multi-factor authentication, <a href=\"/first-login\">click here</a> "
        "to complete your registration.",
        "Having trouble logging in? <a href=\"/help\">Click here</a>.",
    ):
        assert text in page.text
    # One GET form: each button sends it, with the Remember Me box, to its own option.
    assert '<form method="get" action="/login/phone" class="login-buttons">' in page.text
    assert '<button type="submit" formaction="/login/phone">LOGIN WITH PHONE</button>' in page.text
    assert '<button type="submit" formaction="/login/email">LOGIN WITH EMAIL</button>' in page.text
    assert '<input id="remember" name="remember" type="checkbox" value="on">' in page.text
    assert '<label for="remember">Remember Me</label>' in page.text


async def test_the_remember_me_box_stays_checked_while_the_browser_is_remembered(session_app):
    async with session_app.http() as http:
        http.cookies.set(REMEMBER_COOKIE, "some-token")
        page = await http.get("/")
    assert '<input id="remember" name="remember" type="checkbox" value="on" checked>' in page.text


@pytest.mark.parametrize("key", sorted(NOTICES))
async def test_known_notices_are_shown(session_app, key):
    async with session_app.http() as http:
        page = await http.get("/", params={"notice": key})
    assert f'<p class="notice" role="status">{NOTICES[key]}</p>' in page.text


async def test_unknown_notice_text_is_never_echoed(session_app):
    async with session_app.http() as http:
        page = await http.get("/", params={"notice": "<script>alert(1)</script>Your account is locked"})
    assert page.status_code == 200
    assert "alert(1)" not in page.text and "locked" not in page.text and 'class="notice"' not in page.text


async def test_home_greets_the_signed_in_person_and_signs_out(session_app):
    user_id = await session_app.add_person(first_name="Daniyel", last_name="Bezaury")
    async with session_app.http() as http:
        signed_in = await http.post(f"/test/sign-in/{user_id}")
        assert signed_in.headers["location"] == "/home"
        home = await http.get("/home")
        assert home.status_code == 200
        assert "Welcome, Daniyel Bezaury" in home.text and "<h1>HOME</h1>" in home.text
        assert '<form method="post" action="/logout/others">' in home.text
        assert ">Sign out of other sessions</button>" in home.text
        assert '<form method="post" action="/logout">' in home.text and ">Sign out</button>" in home.text
        out = await http.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        assert (await http.get("/home")).headers["location"] == "/"


async def test_home_sends_a_stranger_to_the_login_page(session_app):
    async with session_app.http() as http:
        response = await http.get("/home")
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_home_summarises_the_account(session_app):
    user_id = await session_app.add_person(first_name="Daniyel", last_name="Bezaury")
    async with session_app.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET mfa_method = 'phone', mfa_phone = '+12125559885' WHERE id = $1", uuid.UUID(user_id)
        )
        await issue_token(conn, "c" * 64, user_id, "email", ttl=timedelta(hours=4))
    async with session_app.http() as other:
        await other.post(f"/test/sign-in/{user_id}", headers={"user-agent": "Firefox on the front desk"})
    async with session_app.http() as http:
        await http.post(f"/test/sign-in/{user_id}", headers={"user-agent": "Chromium at home"})
        home = (await http.get("/home")).text
        summary = (await http.get("/api/v1/account")).json()
    assert "<h2>Account summary</h2>" in home
    assert "Phone: XXX-XXX-9885" in home and "s*******@example.com" in home
    assert "On for Login with Email on another browser, until" in home
    assert "Firefox on the front desk" in home and "Chromium at home" in home
    assert re.search(r"Chromium at home</td>\s*<td><strong>This session</strong>", home)
    assert (summary["mfa_method"], summary["phone"], summary["email"]) == ("phone", "XXX-XXX-9885", "s*******@example.com")
    assert [(r["option"], r["this_client"]) for r in summary["remember_me"]] == [("email", False)]
    assert sorted((s["user_agent"], s["this_session"]) for s in summary["sessions"]) == [
        ("Chromium at home", True), ("Firefox on the front desk", False)
    ]


async def test_home_says_when_remember_me_is_off(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as http:
        await http.post(f"/test/sign-in/{user_id}")
        home = (await http.get("/home")).text
        assert (await http.get("/api/v1/account")).json()["remember_me"] == []
    assert re.search(r"<dt>Remember Me</dt>\s*<dd>Off</dd>", home)


async def test_the_account_summary_needs_a_session(session_app):
    async with session_app.http() as http:
        assert (await http.get("/api/v1/account")).status_code == 401


async def test_every_signed_in_page_has_the_mfa_help_link_at_its_foot(live_app):
    """Guide, "Having trouble logging in?": the link is also at the bottom of portal pages."""
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET is_staff = true WHERE id = $1", uuid.UUID(admin))
    footer = '<footer class="portal-footer">\n    <a href="/help">Multi-Factor Authentication Help</a>'
    async with await signed_in(live_app, admin) as http:
        for path in ("/home", "/manage-users", f"/manage-users/{dana}", f"/manage-users/{dana}/reset-registration",
                     "/operations", "/operations/users/dana.doctor"):
            page = await http.get(path)
            assert page.status_code == 200 and footer in page.text, path
        login = await http.get("/")
    assert footer not in login.text  # the login page has its own "Having trouble logging in?"

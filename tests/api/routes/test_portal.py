"""The login page as the guide draws it, its fixed set of notices, and the account home."""

from __future__ import annotations

import re

import pytest

from api.routes.portal import NOTICES


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
    # Phone and email login come with their own issue: no dead buttons meanwhile.
    assert "LOGIN WITH PHONE" not in page.text and "Remember Me" not in page.text


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
        assert '<form method="post" action="/logout">' in home.text and ">Sign out</button>" in home.text
        out = await http.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        assert (await http.get("/home")).headers["location"] == "/"


async def test_home_sends_a_stranger_to_the_login_page(session_app):
    async with session_app.http() as http:
        response = await http.get("/home")
    assert response.status_code == 303 and response.headers["location"] == "/"

"""Guide Section 1 against the real stack: an existing portal user's username and password
start MFA enrollment once; wrong and unknown credentials get one and the same answer;
repeated failures lock the username and the client out."""

from __future__ import annotations

import re

from api.flows import Flows
from domain.passwords import hash_password
from store import audit
from store.accounts import account_by_username
from store.providers import add_provider
from store.users import import_legacy_user

USERNAME = "lee.legacy"
PASSWORD = "Legacy-Portal-2026"
EMAIL = "lee.legacy@example.com"
WRONG = "The username or password is incorrect."
FLOW_COOKIE = Flows.cookie_name("enrollment")


async def add_legacy_user(pool, *, username: str = USERNAME, email: str = EMAIL, npi: str = "1234567893") -> str:
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await add_provider(conn, npi, "Demo Family Practice", hash_password("DEMO-REG-2026"))
        user_id = await import_legacy_user(
            conn,
            username=username,
            password_hash=hash_password(PASSWORD),
            first_name="Lee",
            last_name="Legacy",
            email=email,
            provider_id=provider_id,
        )
    return str(user_id)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def log_in_form(http, username: str, password: str):
    form = await http.get("/first-login")
    assert form.status_code == 200
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    return await http.post("/first-login", data=data)


async def test_the_page_reads_as_the_guide(live_app):
    async with live_app.http() as http:
        page = await http.get("/first-login")
    assert "To begin the registration process, enter your Atrezzo username and password and click Login." in page.text
    assert '<label for="username">Username</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert ">Login</button>" in page.text


async def test_legacy_user_starts_enrollment_at_the_method_screen(live_app):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        response = await log_in_form(http, "  LEE.legacy ", PASSWORD)
        assert response.status_code == 303 and response.headers["location"] == "/mfa"
        flow_id = http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]
        screen = await http.get("/mfa")
        assert screen.status_code == 200
        assert "Select the best multi-factor authentication method for you." in screen.text
    view = await live_app.client.get_workflow_handle(flow_id).query("view")
    assert view["step"] == "method"
    assert (view["fields"]["email"], view["fields"]["account_id"]) == (EMAIL, user_id)
    async with live_app.pool.acquire() as conn:
        events = await conn.fetch("SELECT subject_user_id, detail FROM audit_events WHERE event = 'mfa.first_login'")
    assert [(str(e["subject_user_id"]), e["detail"]["flow"]) for e in events] == [(user_id, flow_id)]


async def test_wrong_password_and_unknown_user_get_the_same_answer(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        wrong = await log_in_form(http, USERNAME, "not-the-password")
        unknown = await log_in_form(http, "nobody.here", PASSWORD)
        empty = await log_in_form(http, "", "")
        assert FLOW_COOKIE not in http.cookies
    for response in (wrong, unknown, empty):
        assert response.status_code == 422
        assert WRONG in response.text
        assert '<label for="username">Username</label>' in response.text
    assert 'value="nobody.here"' in unknown.text  # the username is kept, the password is not
    assert PASSWORD not in unknown.text
    async with live_app.http() as http:
        answers = [
            await http.post("/api/v1/first-login", json={"username": USERNAME, "password": "nope"}),
            await http.post("/api/v1/first-login", json={"username": "nobody.here", "password": PASSWORD}),
        ]
    assert [(a.status_code, a.json()) for a in answers] == [(422, {"errors": {"form": WRONG}})] * 2


async def test_a_user_who_has_registered_mfa_is_sent_to_login(live_app):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET mfa_method = 'email', email_verified_at = now() WHERE id = $1", user_id)
    async with live_app.http() as http:
        response = await log_in_form(http, USERNAME, PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/?notice=mfa_already_registered"
        login = await http.get(response.headers["location"])
        assert "already completed the Multi-Factor Authentication registration" in login.text
        api = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert api.status_code == 409 and "Please log in" in api.json()["detail"]
        assert FLOW_COOKIE not in http.cookies
        # Wrong password for an enrolled user: the usual answer, no hint that MFA exists.
        wrong = await log_in_form(http, USERNAME, "not-the-password")
        assert wrong.status_code == 422 and WRONG in wrong.text


async def test_ten_failures_lock_the_username_even_for_the_right_password(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for _ in range(10):
            response = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": "wrong-guess"})
            assert response.status_code == 422
        locked = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert (locked.status_code, locked.json()) == (422, {"errors": {"form": WRONG}})
        assert FLOW_COOKIE not in http.cookies
    async with live_app.pool.acquire() as conn:
        reasons = await conn.fetch("SELECT detail->>'reason' AS reason FROM audit_events WHERE event = 'mfa.first_login_failed'")
    assert [r["reason"] for r in reasons] == ["credentials"] * 10 + ["locked"]


async def test_failures_from_one_client_lock_it_out_for_every_username(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for attempt in range(10):
            await http.post("/api/v1/first-login", json={"username": f"guess{attempt}", "password": "wrong-guess"})
        locked = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert (locked.status_code, locked.json()) == (422, {"errors": {"form": WRONG}})


async def test_a_success_clears_the_username_failures(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for _ in range(3):
            await http.post("/api/v1/first-login", json={"username": USERNAME, "password": "wrong-guess"})
        started = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert started.status_code == 201 and started.json()["step"] == "method"
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM throttles WHERE key LIKE 'first_login:user:%'") == 0


async def test_forms_need_the_csrf_token(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        refused = await http.post("/first-login", data={"username": USERNAME, "password": PASSWORD})
        assert refused.status_code == 403
        assert FLOW_COOKIE not in http.cookies

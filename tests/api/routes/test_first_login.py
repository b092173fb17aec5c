"""Guide Section 1 against the real stack: an existing portal user's username and password
start MFA enrollment once; wrong and unknown credentials get one and the same answer;
repeated failures lock the username and the client out."""

from __future__ import annotations

import asyncio
import re
import uuid

from api.flows import Flows
from api.throttling import POLICIES
from domain.passwords import hash_password
from store.providers import add_provider
from store.users import import_legacy_user
from tests.support.password_checks import count_password_checks

USERNAME = "lee.legacy"
PASSWORD = "Legacy-Portal-2026"
EMAIL = "lee.legacy@example.com"
WRONG = "The username or password is incorrect."
FLOW_COOKIE = Flows.cookie_name("enrollment")
TOO_MANY = "Too many attempts. Please try again in 1 minute."
# The API trusts the loopback proxy's X-Forwarded-For (FORWARDED_ALLOW_IPS): two clients.
ATTACKER = {"X-Forwarded-For": "203.0.113.66"}
DESK = {"X-Forwarded-For": "198.51.100.20"}


async def add_legacy_user(
    pool, *, username: str = USERNAME, email: str = EMAIL, npi: str = "1234567893", password_hash: str = ""
) -> str:
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await add_provider(conn, npi, "Demo Family Practice", hash_password("DEMO-REG-2026"))
        user_id = await import_legacy_user(
            conn,
            username=username,
            password_hash=password_hash or hash_password(PASSWORD),
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
    # Shown masked: the password alone does not reveal the address on record.
    assert (view["email_on_record"], view["account_id"]) == ("l*******@example.com", user_id)
    assert EMAIL not in str(view)
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
        assert (locked.status_code, locked.json()) == (429, {"errors": {"form": TOO_MANY}})
        page = await log_in_form(http, "NOBODY.else", PASSWORD)  # any username: the answer names no account
        assert page.status_code == 422 and WRONG in page.text
        locked_page = await log_in_form(http, USERNAME, PASSWORD)
        assert locked_page.status_code == 429 and TOO_MANY in locked_page.text
        assert FLOW_COOKIE not in http.cookies
        assert all(50 <= int(answer.headers["retry-after"]) <= 60 for answer in (locked, locked_page))
    async with live_app.pool.acquire() as conn:
        reasons = await conn.fetch("SELECT detail->>'reason' AS reason FROM audit_events WHERE event = 'mfa.first_login_failed'")
        keys = [r["key"] for r in await conn.fetch("SELECT key FROM throttles")]
    assert [r["reason"] for r in reasons] == ["credentials"] * 10 + ["throttled", "credentials", "throttled"]
    # Keys name digests: no username (or its lower-cased form) is stored in the table.
    assert keys and not any(USERNAME in key for key in keys)


async def test_fifty_parallel_wrong_passwords_are_checked_at_most_ten_times(live_app, monkeypatch):
    """The race the throttle used to lose: every parallel request read "unlocked" before any
    failure was counted. Reserved first, only the limit are ever checked."""
    await add_legacy_user(live_app.pool)
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        answers = await asyncio.gather(
            *(http.post("/api/v1/first-login", json={"username": USERNAME, "password": f"wrong-{n}"}) for n in range(50))
        )
        right = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
    assert checks() == 10
    assert sorted(a.status_code for a in answers) == [422] * 10 + [429] * 40
    assert (right.status_code, right.json()) == (429, {"errors": {"form": TOO_MANY}})


async def test_an_attacker_elsewhere_does_not_lock_the_user_out(live_app):
    """The lock is on this username from that client: the person at their own desk gets in."""
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for _ in range(11):
            await http.post("/api/v1/first-login", json={"username": USERNAME, "password": "wrong"}, headers=ATTACKER)
        started = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD}, headers=DESK)
    assert started.status_code == 201, started.text


async def test_failures_from_one_client_slow_it_down_but_never_lock_it_out(live_app):
    """Many people share one office's address: its free tries for other usernames, then each
    waits for a slot (here the first, 1 s) — and the right password still gets in."""
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for attempt in range(POLICIES["first_login"].client.free):
            await http.post("/api/v1/first-login", json={"username": f"guess{attempt}", "password": "wrong-guess"})
        started = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert started.status_code == 201, started.text
    async with live_app.pool.acquire() as conn:
        client = await conn.fetchrow("SELECT failures, next_slot_at FROM throttles WHERE key = 'first_login:client:127.0.0.1'")
    # One more than free reserved, the success given back; the slot it waited for has passed.
    assert client["failures"] == POLICIES["first_login"].client.free and client["next_slot_at"] is not None


async def test_a_success_clears_the_username_failures(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        for _ in range(3):
            await http.post("/api/v1/first-login", json={"username": USERNAME, "password": "wrong-guess"})
        started = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert started.status_code == 201 and started.json()["step"] == "method"
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM throttles WHERE key LIKE 'first_login:user:%'") == 0


async def test_a_legacy_hash_with_old_parameters_is_replaced_once_the_password_is_proven(live_app):
    # The legacy portal's import may carry weaker argon2 parameters: the one credential check
    # (api/credentials.py) upgrades them here as at login.
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user_id = await add_legacy_user(live_app.pool, password_hash=weak)
    async with live_app.http() as http:
        answer = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
    assert answer.status_code == 201
    async with live_app.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", uuid.UUID(user_id))
        rehashed = await conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE event = 'login.password_rehashed' AND subject_user_id = $1", uuid.UUID(user_id))
    assert stored != weak and "m=19456,t=2,p=1" in stored and rehashed == 1


async def test_forms_need_the_csrf_token(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        refused = await http.post("/first-login", data={"username": USERNAME, "password": PASSWORD})
        assert refused.status_code == 403
        assert FLOW_COOKIE not in http.cookies


async def test_after_an_admin_reset_ended_the_password_alone_does_not_skip_the_email_code(live_app):
    """The bypass the review found: an admin reset clears the MFA method but keeps the
    verified email and the portal password. Once the reset flow is gone, first login used to
    resume at the phone step, and "use email instead" signed the browser in with no code."""
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET email_verified_at = now(), password_changed_at = now(), mfa_method = NULL WHERE id = $1",
            uuid.UUID(user_id),
        )
    async with live_app.http() as http:
        started = await http.post("/api/v1/first-login", json={"username": USERNAME, "password": PASSWORD})
        assert started.status_code == 201 and started.json()["step"] == "method"
        taken = await http.post("/api/v1/mfa/use-email", json={})
        assert taken.json()["errors"] == {"form": "This step is already complete. Please continue from the current page."}
        assert (await http.get("/api/v1/me")).status_code == 401
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT mfa_method FROM users WHERE id = $1", uuid.UUID(user_id)) is None

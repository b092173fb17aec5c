"""The password step of Login with Phone and Login with Email (guide Sections 3 and 4)
against the real stack: wrong, unknown, locked and disabled all get one answer; failures lock
an email on one client and only slow a client down; an email user, a user without MFA, an old
password hash and a Kepro address are each sent where they belong."""

from __future__ import annotations

import asyncio
import uuid

from api.throttling import POLICIES
from domain.passwords import verify_password
from tests.api.routes.test_login import EMAIL, FLOW_COOKIE, TOO_MANY, events, sign_in_api, sign_in_form
from tests.support.enrolled_users import PASSWORD, add_user
from tests.support.password_checks import count_password_checks

UNKNOWN = "lou.nobody@example.com"
WRONG = "Your email address or password is incorrect."
USE_EMAIL = "You registered with email. Please use Login with Email."
# The API trusts the loopback proxy's X-Forwarded-For (FORWARDED_ALLOW_IPS): two clients.
ATTACKER = {"X-Forwarded-For": "203.0.113.66"}
DESK = {"X-Forwarded-For": "198.51.100.20"}


# --- "Sign in with your email address" ----------------------------------------------------------
async def test_the_sign_in_page_reads_as_the_guide(live_app):
    async with live_app.http() as http:
        for option in ("phone", "email"):
            page = await http.get(f"/login/{option}")
            assert page.status_code == 200
            assert "<h1>Sign in with your email address</h1>" in page.text
            assert '<label for="email">Email Address</label>' in page.text
            assert '<label for="password">Password</label>' in page.text
            assert '<a href="/password/reset">Forgot your password?</a>' in page.text
            assert ">Sign in</button>" in page.text and f'action="/login/{option}"' in page.text
            assert 'name="remember"' not in page.text
        remembered = await http.get("/login/email", params={"remember": "on"})
        assert '<input type="hidden" name="remember" value="on">' in remembered.text


async def test_wrong_password_and_unknown_email_get_the_same_answer(live_app):
    await add_user(live_app.pool, "phone")
    async with live_app.http() as http:
        wrong = await sign_in_form(http, "phone", EMAIL, "Not-The-Password-1")
        unknown = await sign_in_form(http, "phone", UNKNOWN, PASSWORD)
        not_an_email = await sign_in_form(http, "phone", "dana at example", PASSWORD)
        empty = await sign_in_form(http, "phone", "", "")
        assert FLOW_COOKIE not in http.cookies
    for response in (wrong, unknown, not_an_email, empty):
        assert response.status_code == 422 and WRONG in response.text
        assert '<label for="email">Email Address</label>' in response.text
    # The typed email stays in its box, the password never comes back; nothing else differs.
    assert f'value="{EMAIL}"' in wrong.text and f'value="{UNKNOWN}"' in unknown.text
    assert "Not-The-Password-1" not in wrong.text and PASSWORD not in unknown.text
    assert wrong.text.replace(EMAIL, "") == unknown.text.replace(UNKNOWN, "")
    async with live_app.http() as http:
        answers = [
            await sign_in_api(http, "email", EMAIL, "Not-The-Password-1"),
            await sign_in_api(http, "email", UNKNOWN, PASSWORD),
        ]
    assert [(a.status_code, a.text) for a in answers] == [(422, '{"errors":{"form":"' + WRONG + '"}}')] * 2
    failed = await events(live_app, "login.failed")
    assert [e["detail"]["reason"] for e in failed] == ["credentials"] * 6
    assert failed[0]["subject_user_id"] is not None and failed[1]["subject_user_id"] is None


async def test_a_disabled_account_gets_the_same_answer_for_the_right_password(live_app):
    user_id = await add_user(live_app.pool, "email")
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(user_id))
    async with live_app.http() as http:
        response = await sign_in_api(http, "email")
    assert (response.status_code, response.json()) == (422, {"errors": {"form": WRONG}})


async def test_ten_failures_lock_the_email_on_this_client_until_the_lock_ends(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for _ in range(10):
            assert (await sign_in_api(http, "email", EMAIL, "wrong-guess")).status_code == 422
        locked = await sign_in_api(http, "email")
        assert (locked.status_code, locked.json()) == (429, {"errors": {"form": TOO_MANY}})
        page = await sign_in_form(http, "email")
        assert page.status_code == 429 and TOO_MANY in page.text and f'value="{EMAIL}"' in page.text
        # What the words tell a person, Retry-After tells a program: the seconds left of the lock.
        assert all(50 <= int(answer.headers["retry-after"]) <= 60 for answer in (locked, page))
        assert FLOW_COOKIE not in http.cookies
        reasons = [e["detail"]["reason"] for e in await events(live_app, "login.failed")]
        assert reasons == ["credentials"] * 10 + ["throttled"] * 2
        [lockout] = await events(live_app, "login.locked_out")
        assert lockout["detail"]["seconds"] == 60
        async with live_app.pool.acquire() as conn:
            # A minute later (the store's own tests move its clock; here the lock is moved).
            await conn.execute("UPDATE throttles SET locked_until = now() - interval '1 second'")
        started = await sign_in_api(http, "email")
        assert started.status_code == 201, started.text
        assert started.json()["step"] == "email"


async def test_a_locked_unknown_address_answers_exactly_as_a_locked_account(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        answers = {}
        for email in (EMAIL, UNKNOWN):
            for _ in range(10):
                await sign_in_api(http, "email", email, "wrong-guess")
            answers[email] = await sign_in_api(http, "email", email, PASSWORD)
    assert [(a.status_code, a.text) for a in answers.values()] == [(429, '{"errors":{"form":"' + TOO_MANY + '"}}')] * 2


async def test_fifty_parallel_wrong_passwords_are_checked_at_most_ten_times(live_app, monkeypatch):
    """The race the lockout used to lose: every parallel request read "unlocked" before any
    failure was counted, so all fifty were checked. Reserved first, only ten ever are, and
    then the account answers as locked, the right password included."""
    await add_user(live_app.pool, "email")
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        answers = await asyncio.gather(*(sign_in_api(http, "email", EMAIL, f"wrong-{n}") for n in range(50)))
        right = await sign_in_api(http, "email")
    assert checks() == 10
    assert sorted(a.status_code for a in answers) == [422] * 10 + [429] * 40
    assert (right.status_code, right.json()) == (429, {"errors": {"form": TOO_MANY}})


async def test_an_attacker_elsewhere_does_not_lock_the_clinician_out(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for _ in range(12):
            await sign_in_api(http, "email", EMAIL, "wrong-guess", headers=ATTACKER)
        assert (await sign_in_api(http, "email", headers=ATTACKER)).status_code == 429
        at_the_desk = await sign_in_api(http, "email", headers=DESK)
    assert at_the_desk.status_code == 201, at_the_desk.text


async def test_failures_from_one_client_slow_it_down_but_never_lock_it_out(live_app):
    """One office's address: its free tries for other emails, then each waits for its slot;
    the right password still signs in (after the first slot's second)."""
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        for attempt in range(POLICIES["login"].client.free):
            await sign_in_api(http, "email", f"guess{attempt}@example.com", "wrong-guess")
        started = await sign_in_api(http, "email")
        assert started.status_code == 201, started.text
    async with live_app.pool.acquire() as conn:
        client = await conn.fetchrow("SELECT failures, next_slot_at FROM throttles WHERE key = 'login:client:127.0.0.1'")
        keys = [r["key"] for r in await conn.fetch("SELECT key FROM throttles")]
    assert client["failures"] == POLICIES["login"].client.free and client["next_slot_at"] is not None
    assert not any("example.com" in key or "guess" in key for key in keys)  # digests, not addresses


async def test_an_email_user_is_told_to_use_login_with_email_after_the_right_password_only(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        wrong = await sign_in_form(http, "phone", EMAIL, "Not-The-Password-1")
        assert wrong.status_code == 422 and WRONG in wrong.text and USE_EMAIL not in wrong.text
        refused = await sign_in_form(http, "phone")
        assert refused.status_code == 422 and USE_EMAIL in refused.text
        assert f'value="{EMAIL}"' in refused.text and PASSWORD not in refused.text
        api = await sign_in_api(http, "phone")
        assert (api.status_code, api.json()) == (422, {"errors": {"form": USE_EMAIL}})
        assert FLOW_COOKIE not in http.cookies


async def test_a_user_without_mfa_is_sent_to_finish_the_registration(live_app):
    legacy = await add_user(live_app.pool, None)
    pending = await add_user(live_app.pool, None, username="pat.pending", email="pat.pending@example.com")
    async with live_app.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET status = 'pending', is_legacy = false, email_verified_at = now(),"
            " password_changed_at = now() WHERE id = $1",
            uuid.UUID(pending),
        )
    async with live_app.http() as http:
        page = await sign_in_form(http, "phone")
        assert page.status_code == 200
        assert "You have not completed the Multi-Factor Authentication registration." in page.text
        assert '<a href="/first-login">click here</a> to complete your registration.' in page.text
        other = await sign_in_form(http, "email", "pat.pending@example.com")
        assert 'Having trouble logging in? <a href="/help">Click here</a>' in other.text
        api = await sign_in_api(http, "email")
        assert api.status_code == 409 and api.json()["next"] == "/first-login"
        assert FLOW_COOKIE not in http.cookies
        # Before the password is right, nothing about the account shows.
        wrong = await sign_in_api(http, "email", EMAIL, "wrong-guess")
        assert (wrong.status_code, wrong.json()) == (422, {"errors": {"form": WRONG}})
    unfinished = await events(live_app, "login.mfa_unfinished")
    assert {str(e["subject_user_id"]) for e in unfinished} == {legacy, pending}


async def test_a_password_hashed_with_old_parameters_is_rehashed(live_app):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user_id = await add_user(live_app.pool, "email", password_hash=weak)
    async with live_app.pool.acquire() as conn:
        changed_before = await conn.fetchval("SELECT password_changed_at FROM users WHERE id = $1", uuid.UUID(user_id))
    async with live_app.http() as http:
        assert (await sign_in_api(http, "email")).status_code == 201
    async with live_app.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT password_hash, password_changed_at FROM users WHERE id = $1", uuid.UUID(user_id))
    assert row["password_hash"] != weak and "m=19456,t=2,p=1" in row["password_hash"]
    assert verify_password(row["password_hash"], PASSWORD)
    assert row["password_changed_at"] == changed_before  # the same password, not a new one


async def test_forms_need_the_csrf_token(live_app):
    await add_user(live_app.pool, "email")
    async with live_app.http() as http:
        refused = await http.post("/login/email", data={"email": EMAIL, "password": PASSWORD})
        assert refused.status_code == 403 and FLOW_COOKIE not in http.cookies
        not_json = await http.post("/api/v1/login/email", data={"email": EMAIL, "password": PASSWORD})
        assert not_json.status_code in (415, 400)


async def test_a_kepro_address_is_pointed_to_the_kepro_box(live_app, monkeypatch):
    """Guide, "Customer or Provider Login": users with a kepro.com address use the Kepro box."""
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        api = await sign_in_api(http, "email", "Sam.Staff@KEPRO.com", PASSWORD)
        page = await sign_in_form(http, "phone", "sam.staff@kepro.com", PASSWORD)
    kepro = "This is a Kepro address: please use the LOGIN button in the Kepro box on the login page."
    assert api.status_code == 422 and api.json()["errors"]["form"].startswith(kepro)
    assert page.status_code == 422 and kepro in page.text
    assert checks() == 0  # decided by the address alone, before any password

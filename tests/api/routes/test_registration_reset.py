""""Registration Error → Reset" and "Having trouble logging in?" against the real stack: the
same answer (status and body) whatever was typed, an email only for a registration that is
not complete, a link that resumes MFA enrollment, and a limit on how often one can ask."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlparse

from activities.contracts import EmailToVerify, NewPassword
from activities.postgres import AccountActivities
from api.flows import Flows
from api.routes.registration_reset import HELP_ANSWER, RESET_ANSWER
from domain.passwords import hash_password
from store.accounts import account_by_username
from store.providers import add_provider
from store.users import import_legacy_user
from tests.support.password_checks import count_password_checks, peak_password_work

NPI = "1234567893"
CODE = "DEMO-REG-2026"
USERNAME = "robin.reset"
EMAIL = "robin.reset@example.com"
PASSWORD = "Robin-Resets-2026!"
USER = {
    "username": USERNAME, "first_name": "Robin", "last_name": "Reset", "email": EMAIL,
    "confirm_email": EMAIL, "fax": "717-564-3862",
}
ENROLLMENT_COOKIE = Flows.cookie_name("enrollment")


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def pending_account(live_app, mail) -> str:
    """A registration whose emailed link was never used: the account stays pending."""
    async with live_app.pool.acquire() as conn:
        provider_id = await add_provider(conn, NPI, "Demo Family Practice", hash_password(CODE))
        await import_legacy_user(
            conn, username="lee.legacy", password_hash=hash_password("Legacy-Portal-2026"),
            first_name="Lee", last_name="Legacy", email="lee.legacy@example.com", provider_id=provider_id,
        )
    async with live_app.http() as http:
        assert (await http.post("/api/v1/registration", json={"npi": NPI, "registration_code": CODE})).status_code == 201
        done = await http.post("/api/v1/registration/user-info", json=USER)
        assert done.json()["step"] == "check_email", done.text
    await mail.wait_for_messages_to(EMAIL)
    async with live_app.pool.acquire() as conn:
        return str((await account_by_username(conn, USERNAME)).id)


async def with_password(live_app, account_id: str) -> None:
    """As after the email and password steps of enrollment, left before the MFA method."""
    accounts = AccountActivities(live_app.pool)
    await accounts.verify_account_email(EmailToVerify(account_id, EMAIL))
    await accounts.set_account_password(NewPassword(account_id, hash_password(PASSWORD)))


async def requests_recorded(live_app) -> list[tuple[str | None, bool]]:
    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT subject_user_id, detail FROM audit_events WHERE event = 'registration.link_requested' ORDER BY id"
        )
    return [(str(r["subject_user_id"]) if r["subject_user_id"] else None, r["detail"]["eligible"]) for r in rows]


async def submit(http, path: str, **fields: str):
    form = await http.get(path)
    assert form.status_code == 200
    return await http.post(path, data={**fields, "csrf_token": csrf_of(form.text)})


async def open_link(live_app, link: str) -> dict:
    """Open the link in a fresh browser; the enrollment view it lands on."""
    async with live_app.http() as http:
        opened = await http.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == "/mfa", opened.text
        assert http.cookies[ENROLLMENT_COOKIE].startswith("enrollment-")
        return (await http.get("/api/v1/mfa")).json()


# --- Registration Error → Reset ------------------------------------------------------------
async def test_reset_page_reads_as_the_guide(live_app):
    async with live_app.http() as http:
        page = await http.get("/register/reset")
    assert "<h1>Registration Error</h1>" in page.text
    assert "Enter username and click Submit. An email will be sent to the registered email address" in page.text
    assert '<label for="username">Username</label>' in page.text and ">Submit</button>" in page.text


async def test_reset_answers_the_same_and_emails_only_a_pending_registration(live_app, mail):
    account_id = await pending_account(live_app, mail)
    async with live_app.http() as http:
        pending = await submit(http, "/register/reset", username=f" {USERNAME.upper()} ")
        unknown = await submit(http, "/register/reset", username="nobody.at.all")
        active = await submit(http, "/register/reset", username="lee.legacy")
    assert pending.status_code == unknown.status_code == active.status_code == 200
    assert pending.text == unknown.text == active.text
    assert RESET_ANSWER in pending.text and "nobody" not in unknown.text
    # Only an eligible request names its account in the trail.
    assert await requests_recorded(live_app) == [(account_id, True), (None, False), (None, False)]
    [reset_mail, _] = await mail.wait_for_messages_to(EMAIL, 2)
    link = mail.last_link_to(EMAIL)
    assert parse_qs(urlparse(link).query)["flow"][0].startswith("registration_reset-")
    assert "Finish your Atrezzo registration" in reset_mail["subject"]
    view = await open_link(live_app, link)
    assert view["step"] == "method" and view["account_id"] == account_id


async def test_reset_needs_a_username(live_app):
    async with live_app.http() as http:
        response = await submit(http, "/register/reset", username="  ")
    assert response.status_code == 422
    assert '<p class="error" role="alert" id="username_error">This field is required.</p>' in response.text


async def test_reset_is_limited_and_keeps_the_same_answer(live_app, mail):
    account_id = await pending_account(live_app, mail)
    async with live_app.http() as http:
        answers = [await submit(http, "/register/reset", username=USERNAME) for _ in range(6)]
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    # The sixth was refused unchecked: nothing recorded, nothing sent.
    assert await requests_recorded(live_app) == [(account_id, True)] * 5
    await mail.wait_for_messages_to(EMAIL, 1 + 5)


# --- Having trouble logging in? --------------------------------------------------------------
async def test_help_page_reads_as_the_guide(live_app):
    async with live_app.http() as http:
        page = await http.get("/help")
    assert "<h1>Multi-Factor Authentication Help</h1>" in page.text and "Having trouble logging in?" in page.text
    assert '<label for="email">Email Address</label>' in page.text
    assert '<label for="password">Password</label>' in page.text and ">Submit</button>" in page.text


async def test_help_answers_the_same_and_resumes_only_a_matching_unfinished_enrollment(live_app, mail):
    account_id = await pending_account(live_app, mail)
    async with live_app.http() as http:
        # Not yet eligible: the email is not verified and there is no password.
        too_early = await submit(http, "/help", email=EMAIL, password=PASSWORD)
        await with_password(live_app, account_id)
        wrong = await submit(http, "/help", email=EMAIL, password="Not-The-Password-1")
        unknown = await submit(http, "/help", email="nobody@example.com", password=PASSWORD)
        legacy = await submit(http, "/help", email="lee.legacy@example.com", password="Legacy-Portal-2026")
        right = await submit(http, "/help", email=EMAIL.upper(), password=PASSWORD)
    answers = (too_early, wrong, unknown, legacy, right)
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    assert HELP_ANSWER in right.text and PASSWORD not in right.text
    assert [eligible for _, eligible in await requests_recorded(live_app)] == [False, False, False, False, True]
    [resume_mail, _] = await mail.wait_for_messages_to(EMAIL, 2)
    assert "Finish setting up multi-factor authentication" in resume_mail["subject"]
    link = mail.last_link_to(EMAIL)
    assert parse_qs(urlparse(link).query)["flow"][0].startswith("enrollment_help-")
    view = await open_link(live_app, link)
    # Email and password were done: enrollment resumes at the phone.
    assert view["step"] == "phone" and view["account_id"] == account_id


async def test_help_needs_both_fields_and_keeps_the_email(live_app):
    async with live_app.http() as http:
        response = await submit(http, "/help", email="robin@example.com", password="")
    assert response.status_code == 422
    assert 'id="password_error">This field is required.</p>' in response.text
    assert 'value="robin@example.com"' in response.text


# --- JSON twins ------------------------------------------------------------------------------
async def test_json_twins_answer_the_same(live_app):
    async with live_app.http() as http:
        reset = await http.post("/api/v1/registration/reset", json={"username": "nobody.at.all"})
        help_ = await http.post("/api/v1/registration/help", json={"email": "nobody@example.com", "password": "x"})
        empty = await http.post("/api/v1/registration/reset", json={"username": ""})
    assert (reset.status_code, reset.json()) == (202, {"detail": RESET_ANSWER})
    assert (help_.status_code, help_.json()) == (202, {"detail": HELP_ANSWER})
    assert empty.status_code == 422 and empty.json()["errors"] == {"username": "This field is required."}


async def test_forms_without_the_csrf_token_are_refused(live_app):
    async with live_app.http() as http:
        assert (await http.post("/register/reset", data={"username": USERNAME})).status_code == 403
        assert (await http.post("/help", data={"email": EMAIL, "password": PASSWORD})).status_code == 403
    assert await requests_recorded(live_app) == []


async def test_fifty_parallel_help_requests_check_the_password_at_most_five_times(live_app, monkeypatch):
    """Every help request checks a password and may send an email: all fifty at once used to
    read "not throttled" together. Reserved first, five are checked, the rest answer the same
    without being checked."""
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        body = {"email": EMAIL, "password": "a-guess"}
        answers = await asyncio.gather(*(http.post("/api/v1/registration/help", json=body) for _ in range(50)))
    assert checks() == 5
    assert {(a.status_code, a.json()["detail"]) for a in answers} == {(202, HELP_ANSWER)}


async def test_help_requests_waiting_for_their_password_check_hold_no_database_connection(live_app, monkeypatch):
    """Password checks run one at a time (PASSWORD_HASHES_AT_ONCE): a burst of help requests
    waiting in that line must not hold the API's ten database connections, or every other
    request of the process would wait behind it."""
    held: list[int] = []
    pool = await live_app.app.state.resources.pool()  # the API's own, open since its start
    peak_password_work(monkeypatch, lasting=0.1, while_held=lambda: held.append(pool.get_size() - pool.get_idle_size()))

    async def ask(index: int):
        async with live_app.http() as http:
            body = {"email": f"someone.{index}@example.com", "password": "a-guess"}
            return await http.post("/api/v1/registration/help", json=body, headers={"X-Forwarded-For": f"203.0.113.{index + 1}"})

    answers = await asyncio.gather(*(ask(index) for index in range(6)))
    assert {(a.status_code, a.json()["detail"]) for a in answers} == {(202, HELP_ANSWER)}
    assert held == [0] * 6

"""MFA enrollment through the API against the real stack with the email method — an existing
user through the JSON twins, a new user through the HTML forms and the terms, and going back to
change the address — with every bad input answered on the same screen. After each flow its real
history is read, decrypted, and searched for the password and every code: none may be there."""

from __future__ import annotations

import re
import time
import uuid

from api.flow_timings import flow_timings
from api.flows import Flows
from api.security import Signer
from domain import digests
from domain.passwords import hash_password
from engine.codec import EncryptionCodec
from store.accounts import account_by_id
from store.providers import add_provider
from store.users import import_legacy_user
from tests.support.flow_queries import count_flow_queries
from tests.support.histories import decoded_text, update_names
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
from workflows.enrollment_email import ON_RECORD_FIRST

EMAIL = "lee.legacy@example.com"
NEW_EMAIL = "lee.at.work@example.org"
PASSWORD = "Quiet-Harbor-Lantern-47"
LEGACY_PASSWORD = "Legacy-Portal-2026"
FLOW_COOKIE = Flows.cookie_name("enrollment")
CODE_SENT = "Verification code has been sent. Please copy it to the input box below."
WRONG_CODE = "The verification code is incorrect. Please try again."
# Email verified and password set earlier: "having trouble" resumes at the phone step.
RESUMED = {"purpose": "resume", "email_verified": True, "has_new_password": True}


# --- setting the scene ---------------------------------------------------------------------------
async def add_legacy_user(pool) -> str:
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await add_provider(conn, "1234567893", "Demo Family Practice", hash_password("DEMO-REG-2026"))
        user_id = await import_legacy_user(
            conn,
            username="lee.legacy",
            password_hash=hash_password(LEGACY_PASSWORD),
            first_name="Lee",
            last_name="Legacy",
            email=EMAIL,
            provider_id=provider_id,
        )
    return str(user_id)


async def start_enrollment(live_app, http, user_id: str, **start) -> str:
    """A flow started the way registration and "having trouble" start it, bound to ``http``.
    Started through the test client, its clock stands still: cooldowns hold for the whole test."""
    purpose = start.pop("purpose", "registration")
    arg = EnrollmentStart(user_id, purpose=purpose, email=EMAIL, timings=flow_timings(live_app.settings), **start)
    flow_id = f"enrollment-{uuid.uuid4()}"
    task_queue = live_app.settings.temporal_task_queue
    await live_app.client.start_workflow(MfaEnrollmentWorkflow.run, arg, id=flow_id, task_queue=task_queue)
    signer = Signer(digests.derive_key(live_app.settings.secret_key, digests.COOKIE_KEY))
    http.cookies.set(FLOW_COOKIE, signer.sign(flow_id))
    # As the emailed link binds it: for the account the enrollment is for, from now on.
    http.cookies.set("atrezzo_bound_enrollment", signer.sign(f"{flow_id} {user_id} {int(time.time() * 1000)}"))
    return flow_id


async def first_login(http) -> str:
    """The real way in for an existing user (guide Section 1)."""
    response = await http.post("/api/v1/first-login", json={"username": "lee.legacy", "password": LEGACY_PASSWORD})
    assert response.status_code == 201, response.text
    return http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]


async def post(http, path: str, body: dict | None = None) -> dict:
    response = await http.post(f"/api/v1/mfa/{path}", json=body or {})
    assert response.status_code == 200, response.text
    return response.json()


async def act(http, path: str, body: dict | None = None, *, errors: dict | None = None) -> dict:
    view = await post(http, path, body)
    assert view["errors"] == (errors or {}), view
    return view


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def submit(http, path: str, csrf: str, *, status: int = 200, **data: str):
    response = await http.post(f"/mfa/{path}", data={**data, "csrf_token": csrf})
    assert response.status_code == status, response.text
    return response


async def assert_history_clean(live_app, flow_id: str, *secrets: str) -> None:
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert "lee.legacy@example.com" in text or NEW_EMAIL in text  # the payloads really were decrypted
    for secret in secrets:
        # Codes are bounded by non-digits so a timestamp's digits cannot look like one.
        pattern = rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, text), f"{secret!r} is in the decoded history of {flow_id}"
    # Nor the new password's hash: it is staged at the edge and applied by the flow's activity.
    assert "$argon2id$" not in text, f"a password hash is in the decoded history of {flow_id}"


def passwords(password: str, confirm: str | None = None) -> dict:
    return {"password": password, "confirm_password": password if confirm is None else confirm}


def other_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def signed_in_name(http) -> str:
    me = await http.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return f"{me.json()['first_name']} {me.json()['last_name']}"


async def account(live_app, user_id: str):
    async with live_app.pool.acquire() as conn:
        return await account_by_id(conn, user_id)


# --- email method ------------------------------------------------------------------------------
async def test_existing_user_enrolls_with_email_through_the_json_api(live_app, mail):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await first_login(http)
        assert (await http.get("/api/v1/mfa")).json()["step"] == "method"
        await act(http, "method", {"method": "fax"}, errors={"method": "Choose PHONE, EMAIL, AUTHENTICATOR APP or PASSKEY."})
        view = await act(http, "method", {"method": "email"})
        # A password alone: the address on record, masked, is where the first code goes.
        assert view["step"] == "email" and view["email_on_record"] == "l*******@example.com"
        assert view["email_address"] == ""

        refused = await post(http, "email", {"email": "lee.legacy@"})
        assert refused["step"] == "email" and refused["errors"]["email"].startswith("Enter a valid email address.")
        assert refused["email_address"] == "lee.legacy@"
        elsewhere = await post(http, "email", {"email": "someone.else@example.net"})
        assert elsewhere["errors"] == {"email": ON_RECORD_FIRST} and not mail.messages_to("someone.else@example.net")
        view = await act(http, "email/on-record")
        assert (view["step"], view["notice"]) == ("email_code", CODE_SENT)
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        await act(http, "code/verify", {"code": other_code(code)}, errors={"code": WRONG_CODE})
        await act(http, "code/verify", {"code": "12ab"}, errors={"code": "Enter the 6-digit code."})
        view = await act(http, "code/verify", {"code": code})
        assert (view["step"], view["notice"]) == ("password", "The code has been verified. You can now continue.")

        weak = await post(http, "password", passwords("password1234"))
        assert weak["step"] == "password"
        assert weak["errors"]["password"].startswith("This password is too easy to guess.")
        mismatch = {"confirm_password": "Passwords do not match."}
        await act(http, "password", passwords(PASSWORD, PASSWORD + "!"), errors=mismatch)
        personal = {"password": "Do not use your username, name or email address in your password."}
        await act(http, "password", passwords("Lee.Legacy-Quiet-Harbor"), errors=personal)
        done = await act(http, "password", passwords(PASSWORD))
        assert (done["step"], done["status"]) == ("done", "completed")
        assert await signed_in_name(http) == "Lee Legacy"
        assert FLOW_COOKIE not in http.cookies  # the finished flow is no longer bound
    enrolled = await account(live_app, user_id)
    assert (enrolled.mfa_method, enrolled.email_verified, enrolled.has_new_password) == ("email", True, True)
    await assert_history_clean(live_app, flow_id, PASSWORD, "password1234", code)
    # The saved password's own answer carried the sign-in: no separate claim followed it.
    assert "claim_sign_in" not in update_names(await live_app.client.get_workflow_handle(flow_id).fetch_history())


async def test_new_user_enrolls_with_email_through_the_forms_and_accepts_the_terms(live_app, mail):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id, requires_terms=True)
        page = await http.get("/mfa")
        assert (
            "Select the best multi-factor authentication method for you. A phone registration will require a "
            "direct line with 10-digits; extensions are not supported."
        ) in page.text
        assert "NOTE:" in page.text and ">PHONE</button>" in page.text and ">EMAIL</button>" in page.text
        csrf = csrf_of(page.text)
        page = await submit(http, "method", csrf, method="email")
        assert '<label for="email">Email Address</label>' in page.text and f'value="{EMAIL}"' in page.text

        bad = await submit(http, "email", csrf, status=422, email="not an email")
        assert "Enter a valid email address." in bad.text and 'value="not an email"' in bad.text
        page = await submit(http, "email", csrf, email=NEW_EMAIL)
        assert CODE_SENT in page.text and NEW_EMAIL in page.text
        assert '<label for="code">Verification Code</label>' in page.text
        for text in (">Verify code</button>", ">Send new code</button>", ">Change</button>"):
            assert text in page.text
        assert "New Password" in page.text and "Confirm New Password" in page.text  # shown, not usable yet
        await mail.wait_for_messages_to(NEW_EMAIL)
        code = mail.last_code_to(NEW_EMAIL)

        resend = await submit(http, "code/send", csrf, status=422)
        assert "Please wait" in resend.text and "before requesting a new code." in resend.text
        wrong = await submit(http, "code/verify", csrf, status=422, code=other_code(code))
        assert WRONG_CODE in wrong.text
        page = await submit(http, "code/verify", csrf, code=code)
        assert "The code has been verified. You can now continue." in page.text
        assert '<label for="new_password">New Password</label>' in page.text
        assert '<label for="confirm_password">Confirm New Password</label>' in page.text

        weak = await submit(http, "password", csrf, status=422, password="password1234", confirm_password="password1234")
        assert "This password is too easy to guess." in weak.text and "password1234" not in weak.text
        mismatch = await submit(http, "password", csrf, status=422, password=PASSWORD, confirm_password="Quiet-Harbor")
        assert "Passwords do not match." in mismatch.text and PASSWORD not in mismatch.text
        page = await submit(http, "password", csrf, password=PASSWORD, confirm_password=PASSWORD)
        assert "Terms of Use Agreement" in page.text and "KEPRO PORTAL TERMS OF USE" in page.text
        assert "UNAUTHORIZED ACCESS TO THE KEPRO PORTAL IS PROHIBITED." in page.text and "777 East Park Drive" in page.text
        assert '<label for="accept">I have read and agree to these terms of use.</label>' in page.text

        unchecked = await submit(http, "terms", csrf, status=422)
        assert "Please check the box" in unchecked.text
        home = await submit(http, "terms", csrf, status=303, accepted="yes")
        assert home.headers["location"] == "/home"
        assert "Welcome, Lee Legacy" in (await http.get("/home")).text
    enrolled = await account(live_app, user_id)
    assert (enrolled.mfa_method, enrolled.email, enrolled.terms_accepted) == ("email", NEW_EMAIL, True)
    await assert_history_clean(live_app, flow_id, PASSWORD, "password1234", code)


async def test_change_goes_back_to_the_email_screen_and_keeps_the_resend_limits(live_app, mail):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await start_enrollment(live_app, http, user_id)
        await act(http, "method", {"method": "phone"})
        await act(http, "email", {"email": EMAIL})
        view = await act(http, "email/change")
        assert view["step"] == "email"
        refused = await post(http, "email", {"email": NEW_EMAIL})
        assert refused["step"] == "email" and refused["errors"]["email"].startswith("Please wait")
        stale = await post(http, "password", passwords(PASSWORD))
        assert stale["step"] == "email"
        assert stale["errors"] == {"form": "This step is already complete. Please continue from the current page."}
        assert stale["error_codes"] == {"form": "stale"}
        code = mail.last_code_to(EMAIL)
    await assert_history_clean(live_app, flow_id, PASSWORD, code)


async def test_the_code_and_create_are_each_one_call_to_the_flow(live_app, mail, monkeypatch):
    """The account a code is counted against and a password is checked against is the one
    the browser was bound to: neither action queries the flow before its update."""
    user_id = await add_legacy_user(live_app.pool)
    queried = count_flow_queries(monkeypatch)
    async with live_app.http() as http:
        await start_enrollment(live_app, http, user_id)
        await act(http, "method", {"method": "email"})
        await act(http, "email/on-record")
        await mail.wait_for_messages_to(EMAIL)
        queried.clear()
        assert (await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)}))["step"] == "password"
        assert (await act(http, "password", passwords(PASSWORD)))["status"] == "completed"
        assert await signed_in_name(http) == "Lee Legacy"
    assert queried == []

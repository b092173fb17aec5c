"""Guide Section 2 against the real stack: "Specify Your Organization" (NPI check digit, the
registration code checked at the edge and limited per NPI and client), "Enter User
Information" (every bad input named at once, nothing typed lost, the database deciding
uniqueness), and the emailed link handing the browser over to MFA enrollment."""

from __future__ import annotations

import asyncio
import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
from starlette.requests import Request

from api import emailed_links
from api.app import create_app
from api.flows import Flows
from api.throttling import POLICIES
from domain.npi import npi_check_digit
from domain.passwords import hash_password
from domain.us_states import US_STATES
from engine.codec import EncryptionCodec
from store.accounts import account_by_username
from store.providers import add_provider
from store.users import import_legacy_user
from tests.support.histories import decoded_text
from tests.support.password_checks import count_password_checks
from tests.support.temporal import make_settings
from workflows.flow import FlowView

NPI = "1234567893"
CODE = "DEMO-REG-2026"
ORGANIZATION = "Demo Family Practice"
EMAIL = "riley.registrant@example.com"
MISMATCH = "The NPI and registration code do not match our records."
EXPIRED = "This link has expired or has already been used."
FLOW_COOKIE = Flows.cookie_name("registration")
REGCODE_LIMIT = POLICIES["regcode"].lock.limit
USER = {
    "username": "riley.registrant",
    "first_name": "Riley",
    "last_name": "Registrant",
    "address1": "777 East Park Drive",
    "address2": "Suite 2",
    "city": "Harrisburg",
    "state": "PA",
    "zip_code": "17111",
    "email": EMAIL,
    "confirm_email": EMAIL,
    "phone": "(717) 564-8288",
    "fax": "717.564.3862",
}


def another_npi(first_nine: str = "987654321") -> str:
    return first_nine + npi_check_digit(first_nine)


async def add_organization(pool, npi: str = NPI, code: str = CODE, name: str = ORGANIZATION) -> int:
    async with pool.acquire() as conn:
        return await add_provider(conn, npi, name, hash_password(code))


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def value_of(page: str, name: str) -> str:
    match = re.search(rf'<input id="{name}" name="{name}" [^>]*value="([^"]*)"', page)
    assert match, f"no input {name} in the page"
    return html.unescape(match.group(1))


def error_of(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" role="alert" id="{name}_error">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


async def organization(http, npi: str = NPI, code: str = CODE, *, headers=None):
    form = await http.get("/register")
    data = {"npi": npi, "registration_code": code, "csrf_token": csrf_of(form.text)}
    return await http.post("/register", data=data, headers=headers)


async def user_info(http, **changes: str):
    form = await http.get("/register/account")
    assert form.status_code == 200, form.text
    return await http.post("/register/account", data={**USER, **changes, "csrf_token": csrf_of(form.text)})


async def registered(live_app, http, **changes: str) -> str:
    """Through both screens; returns the registration's flow id."""
    started = await organization(http)
    assert started.status_code == 303, started.text
    done = await user_info(http, **changes)
    assert done.status_code == 200, done.text
    return http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]


async def registrations_on(live_app) -> int:
    query = f"AtrezzoProcess = 'registration' AND TaskQueue = '{live_app.settings.temporal_task_queue}'"
    return (await live_app.client.count_workflows(query)).count


async def view_of(live_app, flow_id: str) -> dict:
    return await live_app.client.get_workflow_handle(flow_id).query("view")


# --- Specify Your Organization ------------------------------------------------------------
async def test_organization_page_reads_as_the_guide_and_starts_nothing(live_app):
    async with live_app.http() as http:
        page = await http.get("/register")
        assert page.status_code == 200
        assert "<h1>Create a New Account - Specify Your Organization</h1>" in page.text
        assert '<label for="npi">NPI</label>' in page.text
        assert '<label for="registration_code">PROVIDER REGISTRATION CODE</label>' in page.text
        assert 'href="/">&larr; LOGIN</a>' in page.text and ">NEXT &rarr;</button>" in page.text
        assert "Please refer to the registration section of the Atrezzo Connect Provider Portal End User Guide" in page.text
        assert FLOW_COOKIE not in http.cookies
    assert await registrations_on(live_app) == 0


async def test_bad_npi_is_named_on_the_same_screen_with_the_input_kept(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        short = await organization(http, npi="12345")
        assert short.status_code == 422
        assert error_of(short.text, "npi") == "Enter a valid 10-digit NPI."
        assert value_of(short.text, "npi") == "12345"
        # The code is a secret: never written back into the page.
        assert value_of(short.text, "registration_code") == "" and CODE not in short.text
        wrong_digit = await organization(http, npi="1234567890")
        assert error_of(wrong_digit.text, "npi") == "This NPI is not valid; check the number and try again."
        empty = await organization(http, npi="", code="")
        assert error_of(empty.text, "npi") == "This field is required."
        assert error_of(empty.text, "registration_code") == "This field is required."
    assert await registrations_on(live_app) == 0


async def test_wrong_code_and_unknown_npi_get_one_message(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        wrong_code = await organization(http, code="NOT-THE-CODE")
        unknown_npi = await organization(http, npi=another_npi())
    for response in (wrong_code, unknown_npi):
        assert response.status_code == 422
        assert error_of(response.text, "form") == MISMATCH
    assert await registrations_on(live_app) == 0
    async with live_app.pool.acquire() as conn:
        refusals = await conn.fetch("SELECT detail FROM audit_events WHERE event = 'registration.code_refused' ORDER BY id")
    assert [r["detail"] for r in refusals] == [{"npi": NPI, "locked": False}, {"npi": another_npi(), "locked": False}]


async def test_wrong_codes_lock_the_npi_on_this_client(live_app):
    await add_organization(live_app.pool)
    other = another_npi()
    await add_organization(live_app.pool, npi=other, code="OTHER-CODE-1", name="Other Practice")
    async with live_app.http() as http:
        for _ in range(REGCODE_LIMIT - 1):
            assert error_of((await organization(http, code="GUESS")).text, "form") == MISMATCH
        last = await organization(http, code="GUESS")
        assert last.status_code == 429
        assert error_of(last.text, "form") == "Too many attempts. Please try again in 1 minute."
        # Locked means unchecked: even the right code waits.
        right = await organization(http)
        assert right.status_code == 429 and FLOW_COOKIE not in http.cookies
    assert await registrations_on(live_app) == 0
    async with live_app.http() as http:
        # The client is only slowed down, not locked: another organisation's right pair opens.
        elsewhere = await organization(http, npi=other, code="OTHER-CODE-1")
        assert elsewhere.status_code == 303
        # And the locked NPI from another client (its own office) is not locked either.
        own_office = await organization(http, headers={"X-Forwarded-For": "198.51.100.20"})
        assert own_office.status_code == 303


async def test_fifty_parallel_wrong_codes_are_checked_only_up_to_the_limit(live_app, monkeypatch):
    await add_organization(live_app.pool)
    checks = count_password_checks(monkeypatch)
    async with live_app.http() as http:
        body = lambda n: {"npi": NPI, "registration_code": f"GUESS-{n}"}  # noqa: E731
        answers = await asyncio.gather(*(http.post("/api/v1/registration", json=body(n)) for n in range(50)))
        right = await http.post("/api/v1/registration", json={"npi": NPI, "registration_code": CODE})
    assert checks() == REGCODE_LIMIT
    # The try that reached the limit answers "too many" itself.
    assert sorted(a.status_code for a in answers) == [422] * (REGCODE_LIMIT - 1) + [429] * (51 - REGCODE_LIMIT)
    assert right.status_code == 429
    assert await registrations_on(live_app) == 0


async def test_right_pair_starts_exactly_one_flow_and_the_code_stays_out_of_history(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        response = await organization(http)
        assert response.status_code == 303 and response.headers["location"] == "/register/account"
        flow_id = http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]
        assert flow_id.startswith("registration-")
        page = await http.get("/register/account")
    assert page.status_code == 200
    assert ORGANIZATION in page.text and NPI in page.text
    for _ in range(100):  # visibility is eventually consistent
        if await registrations_on(live_app):
            break
        await asyncio.sleep(0.05)
    assert await registrations_on(live_app) == 1
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert ORGANIZATION in text  # the reading is real
    assert CODE not in text


# --- Enter User Information ---------------------------------------------------------------
async def test_user_info_page_reads_as_the_guide(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        await organization(http)
        page = (await http.get("/register/account")).text
    for text in (
        "<h1>Create a New Account - Enter User Information</h1>",
        "<h2>Organizational Information</h2>",
        "Please enter the required (<span class=\"required\">*</span>) fields",
        "<h2>Account Information</h2>",
        "<h2>Contact Information</h2>",
        "Providers in receipt of Faxed Determination Letters: Official communication of service "
        "authorization will be sent to the fax number entered below.",
        '<option value="">Select State</option>',
        '<option value="DC">District of Columbia</option>',
    ):
        assert text in page
    star = ' <span class="required" aria-hidden="true">*</span></label>'
    for name, label in (("username", "USERNAME"), ("first_name", "FIRST NAME"), ("last_name", "LAST NAME"),
                        ("email", "EMAIL"), ("confirm_email", "CONFIRM EMAIL"), ("fax", "FAX")):
        assert f'<label for="{name}">{label}{star}' in page
    for name, label in (("address1", "ADDRESS 1"), ("address2", "ADDRESS 2"), ("city", "CITY"),
                        ("state", "STATE"), ("zip_code", "ZIP CODE"), ("phone", "PHONE")):
        assert f'<label for="{name}">{label}</label>' in page


async def test_every_bad_field_is_named_at_once_and_nothing_typed_is_lost(live_app):
    await add_organization(live_app.pool)
    typed = {
        "username": "r",
        "first_name": "",
        "last_name": "  ",
        "city": "Harrisburg",
        "state": "ZZ",
        "zip_code": "1711",
        "email": "riley@",
        "confirm_email": "someone.else@example.com",
        "phone": "717-564-8288 x12",
        "fax": "",
    }
    async with live_app.http() as http:
        await organization(http)
        response = await user_info(http, **typed)
        assert response.status_code == 422
        errors = {name: error_of(response.text, name) for name in USER}
        assert errors == {
            "username": "Use 3 to 64 characters.",
            "first_name": "This field is required.",
            "last_name": "This field is required.",
            "address1": None,
            "address2": None,
            "city": None,
            "state": "Select a state from the list.",
            "zip_code": "Enter a 5-digit ZIP code, or ZIP+4 as 12345-6789.",
            "email": errors["email"],
            "confirm_email": None,  # waits until EMAIL itself is right
            "phone": "Enter a 10-digit direct line; extensions are not supported.",
            "fax": "This field is required.",
        }
        assert errors["email"].startswith("Enter a valid email address.")
        for name in ("username", "city", "zip_code", "email", "confirm_email", "phone", "address1"):
            assert value_of(response.text, name) == {**USER, **typed}[name]
        mismatch = await user_info(http, confirm_email="riley.other@example.com")
        assert mismatch.status_code == 422
        assert error_of(mismatch.text, "confirm_email") == "Email addresses do not match."
        assert value_of(mismatch.text, "confirm_email") == "riley.other@example.com"
        bad_fax = await user_info(http, fax="800-555-01")
        assert error_of(bad_fax.text, "fax") == "Enter a 10-digit US fax number; extensions are not supported."
        # Nothing reached the flow: it still waits on this screen.
        view = await view_of(live_app, http.cookies[FLOW_COOKIE].rsplit(".", 1)[0])
    assert view["step"] == "user_info"
    async with live_app.pool.acquire() as conn:
        assert await account_by_username(conn, USER["username"]) is None


async def with_lee(live_app, provider_id: int) -> None:
    """An existing portal user of the organisation: username Lee.Legacy, lee.legacy@example.com."""
    async with live_app.pool.acquire() as conn:
        await import_legacy_user(
            conn, username="Lee.Legacy", password_hash=hash_password("Legacy-Portal-2026"),
            first_name="Lee", last_name="Legacy", email="lee.legacy@example.com", provider_id=provider_id,
        )


async def test_taken_username_is_named_on_its_field_with_the_input_kept(live_app):
    await with_lee(live_app, await add_organization(live_app.pool))
    async with live_app.http() as http:
        await organization(http)
        taken = await user_info(http, username="lee.legacy")
        assert taken.status_code == 422
        assert error_of(taken.text, "username") == "This username is already taken. Please choose another."
        for name in ("username", "first_name", "address1", "zip_code", "email", "confirm_email", "fax"):
            assert value_of(taken.text, name) == {**USER, "username": "lee.legacy"}[name]
        assert '<option value="PA" selected>' in taken.text
        done = await user_info(http)
        assert done.status_code == 200
        assert ("To complete the Multi-Factor Authentication registration, you must click the link in your "
                "email within 20 minutes.") in done.text


async def test_an_address_already_registered_gets_the_same_screen_and_its_owner_an_email(live_app, mail):
    """Who is registered is nobody's business: the screen is a new address's, the address's
    owner hears of it, and no account or link is made."""
    await with_lee(live_app, await add_organization(live_app.pool))
    async with live_app.http() as http:
        await organization(http)
        taken = await user_info(http, email="LEE.LEGACY@example.com", confirm_email="lee.legacy@example.com")
    async with live_app.http() as http:
        await organization(http)
        new = await user_info(http, username="new.person")
    assert taken.status_code == new.status_code == 200
    assert taken.text.replace("LEE.LEGACY@example.com", "") == new.text.replace(USER["email"], "")
    [owner] = await mail.wait_for_messages_to("lee.legacy@example.com")
    assert owner["subject"] == "Someone tried to register with your email address" and "token=" not in owner["text"]
    await mail.wait_for_messages_to(USER["email"])  # the new address gets its link
    assert len(mail.messages_to("lee.legacy@example.com")) == 1
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users") == 2  # Lee and the new person


async def test_submissions_are_limited_per_registration(live_app):
    """Each answer tells whether a username is taken: ten per registration and client (what
    the edge refuses itself, an empty field say, tells nothing and is not counted)."""
    await with_lee(live_app, await add_organization(live_app.pool))
    async with live_app.http() as http:
        await organization(http)
        assert (await user_info(http, first_name="")).status_code == 422
        answers = [(await user_info(http, username="lee.legacy")).status_code for _ in range(10)]
        throttled = await user_info(http)
    assert answers == [422] * 10
    assert throttled.status_code == 429
    assert error_of(throttled.text, "form") == "Too many attempts. Please try again in 1 minute."
    assert value_of(throttled.text, "username") == USER["username"]


async def test_two_racing_registrations_for_one_username_end_with_one_account(live_app, mail):
    await add_organization(live_app.pool)
    async with live_app.http() as first, live_app.http() as second:
        for http in (first, second):
            assert (await organization(http)).status_code == 303
        answers = await asyncio.gather(
            user_info(first, email="first@example.com", confirm_email="first@example.com"),
            user_info(second, email="second@example.com", confirm_email="second@example.com"),
        )
    assert sorted(a.status_code for a in answers) == [200, 422]
    [refused] = [a for a in answers if a.status_code == 422]
    assert error_of(refused.text, "username") == "This username is already taken. Please choose another."
    async with live_app.pool.acquire() as conn:
        account = await account_by_username(conn, USER["username"])
    assert account is not None and account.status == "pending"


# --- The emailed link ---------------------------------------------------------------------
async def test_the_emailed_link_hands_the_browser_to_enrollment_once(live_app, mail):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        flow_id = await registered(live_app, http)
    await mail.wait_for_messages_to(EMAIL)
    link = mail.last_link_to(EMAIL)
    query = parse_qs(urlparse(link).query)
    assert urlparse(link).path == "/register/confirm" and query["flow"] == [flow_id]
    token = query["token"][0]
    # The person opens the email elsewhere: the link alone is enough.
    async with live_app.http() as elsewhere:
        opened = await elsewhere.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == "/mfa"
        enrollment = elsewhere.cookies[Flows.cookie_name("enrollment")].rsplit(".", 1)[0]
        assert enrollment.startswith("enrollment-")
        screen = await elsewhere.get("/mfa")
        assert screen.status_code == 200
        # The same browser opening it again goes back to its enrollment (the answer to its
        # first open may have been lost); any other browser finds the link used.
        again = await elsewhere.get(link)
        assert again.status_code == 303 and again.headers["location"] == "/mfa"
        async with live_app.http() as third:
            used = await third.get(link)
            assert used.status_code == 410 and EXPIRED in used.text
    view = await view_of(live_app, flow_id)
    assert view["step"] == "enrolling" and view["fields"]["enrollment_flow"] == enrollment
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert EMAIL in text and token not in text


async def test_a_tampered_token_opens_nothing_and_the_real_link_still_works(live_app, mail):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        flow_id = await registered(live_app, http)
    await mail.wait_for_messages_to(EMAIL)
    link = mail.last_link_to(EMAIL)
    token = parse_qs(urlparse(link).query)["token"][0]
    tampered = link.replace(token, ("A" if token[0] != "A" else "B") + token[1:])
    async with live_app.http() as http:
        refused = await http.get(tampered)
        assert refused.status_code == 410 and EXPIRED in refused.text
        assert 'href="/register/reset"' in refused.text
        assert Flows.cookie_name("enrollment") not in http.cookies
        assert (await view_of(live_app, flow_id))["step"] == "check_email"
        opened = await http.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == "/mfa"


async def test_a_link_its_flow_takes_late_says_try_again_and_opens_for_that_browser_only(live_app, mail, monkeypatch):
    # The flow takes the click after the page has stopped waiting (as when its worker dies
    # mid-step and another takes over): "expired" would strand the person, whose click the
    # flow then takes. The page says try again, and the same browser's next open goes on.
    monkeypatch.setattr(emailed_links, "_WAIT_AT_MOST", 0.0)
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        flow_id = await registered(live_app, http)
    await mail.wait_for_messages_to(EMAIL)
    link = mail.last_link_to(EMAIL)
    async with live_app.http() as browser, live_app.http() as other:
        slow = await browser.get(link)
        assert slow.status_code == 503 and emailed_links.STILL_OPENING in slow.text
        monkeypatch.undo()  # the flow answers the next opens in time
        for _ in range(100):
            if (await view_of(live_app, flow_id))["step"] == "enrolling":
                break
            await asyncio.sleep(0.1)
        assert (await other.get(link)).status_code == 410
        opened = await browser.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == "/mfa"
        assert (await browser.get("/mfa")).status_code == 200


async def test_links_to_no_flow_or_the_wrong_kind_of_flow_are_refused(live_app):
    async with live_app.http() as http:
        for url in (
            "/register/confirm",
            "/register/confirm?flow=registration-not-a-uuid&token=abc",
            "/register/confirm?flow=challenge-00000000-0000-0000-0000-000000000000&token=abc",
            "/register/confirm?flow=registration-00000000-0000-0000-0000-000000000000&token=abc",
        ):
            response = await http.get(url)
            assert response.status_code == 410 and EXPIRED in response.text, url


# --- JSON twins -----------------------------------------------------------------------------
async def test_json_twins_of_both_screens(live_app, mail):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        refused = await http.post("/api/v1/registration", json={"npi": NPI, "registration_code": "nope"})
        assert refused.status_code == 422 and refused.json()["errors"] == {"form": MISMATCH}
        started = await http.post("/api/v1/registration", json={"npi": f" {NPI} ", "registration_code": f" {CODE} "})
        assert started.status_code == 201, started.text
        assert started.json()["step"] == "user_info"
        assert started.json()["fields"] == {"organization": ORGANIZATION, "npi": NPI}
        bad = await http.post("/api/v1/registration/user-info", json={**USER, "zip_code": "ABCDE", "confirm_email": "x@example.com"})
        assert bad.status_code == 422
        assert set(bad.json()["errors"]) == {"zip_code", "confirm_email"}
        done = await http.post("/api/v1/registration/user-info", json=USER)
        assert done.status_code == 200 and done.json()["step"] == "check_email"
        assert (await http.get("/api/v1/registration")).json()["step"] == "check_email"
        schema = (await http.get("/openapi.json")).json()
    await mail.wait_for_messages_to(EMAIL)
    assert {"/api/v1/registration", "/api/v1/registration/user-info"} <= set(schema["paths"])


# --- Every screen the flow can be on ----------------------------------------------------------
@pytest.mark.parametrize(
    "step",
    ["user_info", "check_email", "registration_error", "enrolling", "complete", "abandoned", "cancelled",
     "enrollment_abandoned"],
)
def test_every_step_of_the_flow_has_a_screen(step):
    app = create_app(make_settings())
    scope = {"type": "http", "method": "GET", "path": "/register/account", "headers": [], "query_string": b"",
             "app": app, "router": app.router, "server": ("testserver", 80), "scheme": "http", "root_path": ""}
    view = FlowView(process="registration", step=step, notice="A notice.", fields={"organization": ORGANIZATION, "npi": NPI})
    context = {"view": view, "form": {}, "states": US_STATES, "csrf_token": "t"}
    page = app.state.templates.TemplateResponse(Request(scope), f"registration/{step}.html", context)
    assert b"<h1>" in page.body


async def test_forms_without_the_csrf_token_are_refused_and_start_nothing(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        refused = await http.post("/register", data={"npi": NPI, "registration_code": CODE})
        assert refused.status_code == 403 and FLOW_COOKIE not in http.cookies
        await organization(http)
        forged = await http.post("/register/account", data={**USER, "csrf_token": "0" * 64})
        assert forged.status_code == 403
        assert (await view_of(live_app, http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]))["step"] == "user_info"

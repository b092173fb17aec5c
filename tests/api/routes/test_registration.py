"""Guide Section 2 against the real stack: "Specify Your Organization" (NPI check digit, the
registration code checked at the edge and limited per NPI and client), the JSON twins of both
screens, a screen for every step the flow can be on, forms refused without their token, and a
whole registration that never asks its flows before an update."""

from __future__ import annotations

import asyncio
import html
import re

import pytest
from starlette.requests import Request

from api.app import create_app
from api.flows import Flows
from api.throttling import POLICIES
from domain.npi import npi_check_digit
from domain.passwords import hash_password
from domain.us_states import US_STATES
from engine.codec import EncryptionCodec
from store.providers import add_provider
from tests.support.flow_queries import count_flow_queries
from tests.support.histories import decoded_text
from tests.support.password_checks import count_password_checks
from tests.support.temporal import make_settings
from tests.support.whole_registration import register_through_api
from workflows.registration import RegistrationView

NPI = "1234567893"
CODE = "DEMO-REG-2026"
ORGANIZATION = "Demo Family Practice"
EMAIL = "riley.registrant@example.com"
MISMATCH = "The NPI and registration code do not match our records."
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
        # The try that started the lock says how long it lasts, and the refused one what is left.
        assert last.headers["retry-after"] == "60" and 50 <= int(right.headers["retry-after"]) <= 60
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


# --- JSON twins -----------------------------------------------------------------------------
async def test_json_twins_of_both_screens(live_app, mail):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        refused = await http.post("/api/v1/registration", json={"npi": NPI, "registration_code": "nope"})
        assert refused.status_code == 422 and refused.json()["errors"] == {"form": MISMATCH}
        started = await http.post("/api/v1/registration", json={"npi": f" {NPI} ", "registration_code": f" {CODE} "})
        assert started.status_code == 201, started.text
        assert started.json()["step"] == "user_info"
        assert (started.json()["organization"], started.json()["npi"]) == (ORGANIZATION, NPI)
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
    view = RegistrationView(process="registration", step=step, notice="A notice.", organization=ORGANIZATION, npi=NPI)
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


async def test_no_press_of_a_whole_registration_waits_on_a_query_of_its_flow(live_app, mail, monkeypatch):
    """From the NPI to the Terms of Use, the emailed link included: one update a press."""
    queried = count_flow_queries(monkeypatch)
    await register_through_api(
        live_app, mail, username="pat.one", email="pat.one@example.com", password="Quiet-Harbor-Lantern-42",
        registration_code=CODE,
    )
    assert queried == []

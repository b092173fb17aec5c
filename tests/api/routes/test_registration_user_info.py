""""Enter User Information" (guide Section 2) against the real stack: every bad input named at
once, nothing typed lost, the database deciding uniqueness, an address already registered
answered as a new one (its owner is told by email), and submissions limited per registration."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError

from domain.passwords import hash_password
from store.accounts import account_by_username
from store.users import import_legacy_user
from tests.api.routes.test_registration import (
    EMAIL,
    FLOW_COOKIE,
    USER,
    add_organization,
    csrf_of,
    error_of,
    organization,
    user_info,
    value_of,
    view_of,
)
from tests.support.flow_queries import count_flow_queries

CHECK_EMAIL = "you must click the link in your email within 20 minutes."


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
    assert throttled.status_code == 429 and 50 <= int(throttled.headers["retry-after"]) <= 60
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


async def test_next_is_one_call_to_the_flow_and_the_account_joins_its_organization(live_app, monkeypatch):
    """The edge sends what was typed; the registration adds the organization whose code
    started it, and the API asks it nothing before its update."""
    provider_id = await add_organization(live_app.pool)
    queried = count_flow_queries(monkeypatch)
    async with live_app.http() as http:
        await organization(http)
        form = await http.get("/register/account")
        queried.clear()
        done = await http.post("/register/account", data={**USER, "csrf_token": csrf_of(form.text)})
    assert done.status_code == 200 and CHECK_EMAIL in done.text
    assert queried == []
    async with live_app.pool.acquire() as conn:
        account = await account_by_username(conn, USER["username"])
        member_of = await conn.fetchval("SELECT provider_id FROM provider_members WHERE user_id = $1", account.id)
    assert member_of == provider_id


async def test_next_pressed_twice_shows_where_the_registration_is_and_makes_one_account(live_app, mail):
    """A double click, or the back button and NEXT again: the second press finds the step done
    and is answered with the screen the registration is on, without an error, uncounted."""
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        await organization(http)
        form = await http.get("/register/account")
        data = {**USER, "csrf_token": csrf_of(form.text)}
        first = await http.post("/register/account", data=data)
        again = [await http.post("/register/account", data=data) for _ in range(12)]
        twin = await http.post("/api/v1/registration/user-info", json={**USER})
    assert first.status_code == 200 and CHECK_EMAIL in first.text
    for answer in again:
        assert (answer.status_code, error_of(answer.text, "form")) == (200, None)
        assert CHECK_EMAIL in answer.text
    assert twin.status_code == 200
    assert (twin.json()["step"], twin.json()["errors"]) == ("check_email", {})
    await mail.wait_for_messages_to(EMAIL)
    assert len(mail.messages_to(EMAIL)) == 1
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE username = $1", USER["username"]) == 1
        # Twelve presses, more than the limit of ten: none counted, the registration not locked.
        counted = (
            "SELECT count(*) FROM throttles"
            " WHERE key LIKE 'user_info:%' AND (failures > 0 OR locked_until IS NOT NULL)"
        )
        assert await conn.fetchval(counted) == 0


async def test_next_on_a_registration_support_cancelled_says_so_and_saves_nothing(live_app):
    await add_organization(live_app.pool)
    async with live_app.http() as http:
        await organization(http)
        form = await http.get("/register/account")
        handle = live_app.client.get_workflow_handle(http.cookies[FLOW_COOKIE].rsplit(".", 1)[0])
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        answer = await http.post("/register/account", data={**USER, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 200
    assert "This registration was cancelled, so nothing was saved." in answer.text
    async with live_app.pool.acquire() as conn:
        assert await account_by_username(conn, USER["username"]) is None

"""The emailed link of a new registration against the real stack: it hands the browser over to
MFA enrollment once, a tampered token opens nothing while the real link still works, a link its
flow takes late says to try again, and links to no flow or the wrong kind of flow are refused."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

from api import emailed_links, flow_sign_in
from api.flows import Flows
from engine.codec import EncryptionCodec
from tests.api.routes.test_registration import EMAIL, FLOW_COOKIE, add_organization, organization, user_info, view_of
from tests.api.routes.test_enrollment import PASSWORD, act, passwords
from tests.support.crashes import dies_once
from tests.support.histories import decoded_text, update_names

EXPIRED = "This link has expired or has already been used."


async def registered(live_app, http, **changes: str) -> str:
    """Through both screens; returns the registration's flow id."""
    started = await organization(http)
    assert started.status_code == 303, started.text
    done = await user_info(http, **changes)
    assert done.status_code == 200, done.text
    return http.cookies[FLOW_COOKIE].rsplit(".", 1)[0]


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
    assert view["step"] == "enrolling" and view["enrollment_flow"] == enrollment
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    assert EMAIL in text and token not in text


async def at_the_terms(live_app, mail, http) -> str:
    """Registered, the link opened in ``http``, and its enrollment walked to the terms."""
    await add_organization(live_app.pool)
    await registered(live_app, http)
    await mail.wait_for_messages_to(EMAIL)
    assert (await http.get(mail.last_link_to(EMAIL))).status_code == 303
    await act(http, "method", {"method": "email"})
    await act(http, "email", {"email": EMAIL})
    await mail.wait_for_messages_to(EMAIL, count=2)
    assert (await act(http, "code/verify", {"code": mail.last_code_to(EMAIL)}))["step"] == "password"
    assert (await act(http, "password", passwords(PASSWORD)))["step"] == "terms"
    return http.cookies[Flows.cookie_name("enrollment")].rsplit(".", 1)[0]


async def test_the_enrollment_the_link_opens_signs_its_browser_in_with_its_last_answer(live_app, mail):
    async with live_app.http() as http:
        enrollment = await at_the_terms(live_app, mail, http)
        done = await act(http, "terms", {"accepted": True})
        assert (done["step"], done["status"]) == ("done", "completed")
        assert (await http.get("/api/v1/me")).status_code == 200
    # The terms' own answer carried the sign-in: no separate claim followed it.
    assert "claim_sign_in" not in update_names(await live_app.client.get_workflow_handle(enrollment).fetch_history())


async def test_the_terms_pressed_again_after_their_answer_was_lost_sign_that_browser_in(live_app, mail, monkeypatch):
    # The API died after the enrollment answered with the sign-in and before the browser got
    # its session: the claim the link's click carried recognises this browser's second press.
    async with live_app.http() as http, live_app.http() as other:
        enrollment = await at_the_terms(live_app, mail, http)
        dies_once(monkeypatch, flow_sign_in, "sign_in")
        assert (await http.post("/api/v1/mfa/terms", json={"accepted": True})).status_code == 503  # "try again"
        assert await live_app.client.get_workflow_handle(enrollment).result() == "completed"
        # Someone holding only the flow's cookie (not this browser's binding) gets nothing.
        other.cookies.set(Flows.cookie_name("enrollment"), http.cookies[Flows.cookie_name("enrollment")])
        assert (await other.post("/api/v1/mfa/terms", json={"accepted": True})).status_code in (403, 404, 409)
        assert (await other.get("/api/v1/me")).status_code == 401
        assert (await act(http, "terms", {"accepted": True}))["step"] == "done"
        assert (await http.get("/api/v1/me")).status_code == 200


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

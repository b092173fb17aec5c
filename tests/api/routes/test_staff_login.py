"""The Kepro box's LOGIN through the API and the real local OpenID provider (PKCE enforced):
LOGIN → the provider's page → back, signed in as staff; every refusal ends on a clear page
with no session; a forged or crossed callback signs nobody in; the flow's history holds no
code, state or token; sign-out offers the provider's; staff addresses are pointed to the box."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.staff_identity import flow_secrets
from engine.codec import EncryptionCodec
from tests.support.histories import decoded_text
from api.throttling import POLICIES, Policy
from store.throttles import LockRule, SlowRule
from store import staff_identities
from tests.support.staff import audit_rows
from workflows.staff_login import REFUSALS

JWT = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")


async def press_login(app, browser: httpx.AsyncClient, provider, sub: str) -> tuple[str, str]:
    """LOGIN in the Kepro box, then ``sub`` picked on the provider's page: the flow and where
    the provider sends the browser back."""
    login = await browser.get("/staff/login")
    assert login.status_code == 303
    flow_id = browser.cookies["atrezzo_flow_staff_login"].split(".")[0]
    async with httpx.AsyncClient(timeout=30) as at_provider:
        back = await provider.choose(at_provider, login.headers["location"], sub)
    assert back.startswith(f"{app.url}/staff/callback?")
    return flow_id, back


async def test_login_at_the_provider_comes_back_signed_in_as_staff_with_operations(staff_app, oidc_provider):
    async with staff_app.http() as browser:
        page = await browser.get("/")
        assert 'href="/staff/login">LOGIN</a>' in page.text
        flow_id, back = await press_login(staff_app, browser, oidc_provider, oidc_provider.demo.sub)
        answer = await browser.get(back)
        assert (answer.status_code, answer.headers["location"]) == (303, "/home")
        home = await browser.get("/home")
        assert home.status_code == 200 and 'href="/operations">Operations</a>' in home.text
        assert (await browser.get("/operations")).status_code == 200
        me = (await browser.get("/api/v1/me")).json()
        assert me["username"] == "staff.demo"
        # The Temporal UI's codec follows from the staff session.
        plain = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "ImhlbGxvIg=="}]}
        sealed = await browser.post("/codec/encode", json=plain)
        assert sealed.status_code == 200
        assert (await browser.post("/codec/decode", json=sealed.json())).json() == plain
    handle = staff_app.client.get_workflow_handle(flow_id)
    assert await handle.result() == "signed_in"
    # Nothing the provider's answer carried, nor what the edge derived, is in history.
    text = await decoded_text(await handle.fetch_history(), EncryptionCodec(staff_app.settings.payload_key_ring))
    query = parse_qs(urlsplit(back).query)
    derived = flow_secrets(staff_app.settings.secret_key, flow_id)
    for secret in (query["code"][0], query["state"][0], derived.nonce, derived.code_verifier, staff_app.settings.staff_oidc_client_secret):
        assert secret not in text
    assert not JWT.search(text)  # no ID token or access token either
    assert oidc_provider.demo.email in text  # the reading is real: the identity is there


@pytest.mark.parametrize(("who", "reason"), [("unverified", "unverified_email"), ("outsider", "not_staff_domain")])
async def test_an_identity_the_portal_does_not_accept_ends_on_its_message_signed_out(staff_app, oidc_provider, who, reason):
    async with staff_app.http() as browser:
        flow_id, back = await press_login(staff_app, browser, oidc_provider, getattr(oidc_provider, who).sub)
        answer = await browser.get(back)
        assert answer.status_code == 422 and REFUSALS[reason] in answer.text
        assert (await browser.get("/api/v1/me")).status_code == 401
    assert await staff_app.client.get_workflow_handle(flow_id).result() == "refused"


async def test_a_callback_crossed_into_another_browser_signs_nobody_in(staff_app, oidc_provider):
    # Login CSRF: the attacker's own code and state, opened in the victim's browser (which
    # has a sign-in of its own under way), must not sign the victim in as the attacker.
    async with staff_app.http() as attacker, staff_app.http() as victim:
        _, attackers_back = await press_login(staff_app, attacker, oidc_provider, oidc_provider.demo.sub)
        victims_flow = (await victim.get("/staff/login"), victim.cookies["atrezzo_flow_staff_login"].split(".")[0])[1]
        answer = await victim.get(attackers_back)
        assert answer.status_code == 422 and REFUSALS["state"] in answer.text
        assert (await victim.get("/api/v1/me")).status_code == 401
        # And a browser with no sign-in under way is sent back to press LOGIN.
        async with staff_app.http() as stranger:
            lost = await stranger.get(attackers_back)
            assert (lost.status_code, lost.headers["location"]) == (303, "/?notice=kepro_again")
    assert await staff_app.client.get_workflow_handle(victims_flow).result() == "refused"
    [refused] = await audit_rows(staff_app.pool, "staff.sign_in_refused")
    assert (refused["detail"]["flow"], refused["detail"]["code"]) == (victims_flow, "state")


async def test_the_providers_error_answer_ends_the_flow(staff_app):
    async with staff_app.http() as browser:
        await browser.get("/staff/login")
        answer = await browser.get("/staff/callback", params={"error": "access_denied", "state": "x"})
        assert answer.status_code == 422 and REFUSALS["provider_error"] in answer.text


async def test_sign_out_offers_the_providers_and_it_leads_there(staff_app, oidc_provider):
    async with staff_app.http() as browser:
        _, back = await press_login(staff_app, browser, oidc_provider, oidc_provider.demo.sub)
        await browser.get(back)
        home = await browser.get("/home")
        token = home.text.split('name="csrf_token" value="')[1].split('"')[0]
        out = await browser.post("/logout", data={"csrf_token": token})
        assert out.headers["location"] == "/?notice=signed_out_kepro"
        page = await browser.get(out.headers["location"])
        assert 'href="/staff/logout">Sign out of Kepro too</a>' in page.text
        provider = await browser.get("/staff/logout")
        assert provider.status_code == 303 and provider.headers["location"].startswith(f"{oidc_provider.issuer}/")


async def test_a_staff_address_is_pointed_to_the_kepro_box_by_forgot_password(staff_app):
    async with staff_app.http() as browser:
        form = await browser.get("/password/reset")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await browser.post("/password/reset", data={"email": "pat@kepro.com", "csrf_token": token})
        assert answer.status_code == 422 and "Kepro box" in answer.text
    assert await audit_rows(staff_app.pool, "password_reset.requested") == []


async def test_login_presses_are_counted_per_client(staff_app, monkeypatch):
    monkeypatch.setitem(POLICIES, "staff_login", Policy("staff_login", LockRule(2), SlowRule(100), SlowRule(100)))
    async with staff_app.http() as browser:
        presses = [(await browser.get("/staff/login")).headers["location"] for _ in range(3)]
    assert presses[0].startswith("http://127.0.0.1") and presses[-1] == "/?notice=kepro_throttled"


async def test_the_screen_without_a_sign_in_under_way_says_it_expired(staff_app):
    async with staff_app.http() as browser:
        page = await browser.get("/staff")
        assert page.status_code == 404 and "Please press LOGIN again" in page.text
        api = await browser.get("/api/v1/staff")
        assert (api.status_code, api.json()["step"]) == (404, "expired")


async def test_an_answer_after_the_sign_in_expired_asks_for_login_again(staff_app, oidc_provider, temporal_env):
    async with staff_app.http() as browser:
        flow_id, back = await press_login(staff_app, browser, oidc_provider, oidc_provider.demo.sub)
        handle = staff_app.client.get_workflow_handle(flow_id)
        await temporal_env.fast_forward(handle, staff_app.settings.staff_login_timeout + timedelta(seconds=1))
        assert await handle.result() == "expired"
        late = await browser.get(back)
        assert (late.status_code, late.headers["location"]) == (303, "/?notice=kepro_again")
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_the_browser_signs_in_only_as_the_account_of_the_identity_the_edge_checked(staff_app, oidc_provider, monkeypatch):
    # As if the flow's grant named another account than the one linked to the identity (a flow
    # answering under a stolen id): the edge's own reading of the link decides, and refuses.
    async def another_account(conn, identity):
        return uuid.uuid4()

    monkeypatch.setattr(staff_identities, "account_of", another_account)
    async with staff_app.http() as browser:
        _, back = await press_login(staff_app, browser, oidc_provider, oidc_provider.demo.sub)
        answer = await browser.get(back)
        assert (answer.status_code, answer.headers["location"]) == (303, "/?notice=sign_in_refused")
        assert (await browser.get("/api/v1/me")).status_code == 401
    [refused] = await audit_rows(staff_app.pool, "session.refused")
    assert refused["detail"]["reason"] == "another_account"

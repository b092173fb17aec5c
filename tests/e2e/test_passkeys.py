"""Passkeys in Chromium, read by the page's labels (issue 10), with DevTools' virtual
authenticator standing in for the device (user verification on, as a fingerprint would): an
existing user chooses PASSKEY, verifies the email on record, creates a password, names and
creates the passkey, keeps the recovery codes, and lands on home; signed out, Login with
Email's page signs in by passkey autofill alone; the address and password instead lead to
"Use Your Passkey"; "Sign in with a passkey" signs in with it alone too; from home a second
passkey is added on a security key, and the first removed."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_authenticator_app import first_login_choosing
from tests.e2e.test_existing_user_phone_call import EMAIL, NEW_PASSWORD, add_legacy_user

pytestmark = pytest.mark.browser


async def virtual_authenticator(page, transport: str = "internal") -> tuple[object, str]:
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("WebAuthn.enable")
    added = await devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": transport, "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return devtools, added["authenticatorId"]


async def present(devtools, authenticator: str, yes: bool) -> None:
    """Whether the virtual authenticator answers requests by itself (a person at the device)."""
    await devtools.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": authenticator, "enabled": yes})


async def use_passkey(page, devtools, authenticator: str) -> None:
    """Use my passkey, the person at the device this time: signed in, on home."""
    await present(devtools, authenticator, True)
    await page.get_by_role("button", name="Use my passkey").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Lee Legacy").wait_for()


async def test_create_a_passkey_then_sign_in_with_it(passkey_app, mail, page):
    await add_legacy_user(passkey_app.pool)
    await page.goto(passkey_app.url)
    devtools, authenticator = await virtual_authenticator(page)
    await first_login_choosing(page, passkey_app.url, mail, "PASSKEY")

    await page.get_by_role("heading", name="Create Your Passkey").wait_for()
    await page.get_by_label("Name this passkey").fill("Work laptop")
    await page.get_by_role("button", name="Create passkey").click()
    await page.get_by_role("heading", name="Your Recovery Codes").wait_for()
    stored = await devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1 and stored["credentials"][0]["isResidentCredential"]
    await page.get_by_role("button", name="I have saved my recovery codes, continue").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Passkey: Work laptop").wait_for()
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # Passkey autofill: the email sign-in page asks for a passkey without a dialog. The virtual
    # authenticator answers such a request at once, as a person picking their passkey would.
    await page.goto(passkey_app.url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Lee Legacy").wait_for()
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # Someone who types the address and password instead (no passkey picked from autofill)
    # is asked for the passkey as the second factor.
    await present(devtools, authenticator, False)
    await page.goto(passkey_app.url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_role("heading", name="Use Your Passkey").wait_for()
    await use_passkey(page, devtools, authenticator)
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # The passkey alone by its button: no email, no password.
    await present(devtools, authenticator, False)
    await page.goto(passkey_app.url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await page.get_by_role("heading", name="Sign In with a Passkey").wait_for()
    await use_passkey(page, devtools, authenticator)

    # A second passkey from home, on a security key (a second authenticator), then the first removed.
    await virtual_authenticator(page, transport="usb")
    await page.get_by_role("link", name="Add a passkey").click()
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Name this passkey").fill("Security key")
    await page.get_by_role("button", name="Create passkey").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Passkey: Security key").wait_for()
    await page.get_by_role("link", name="Remove the passkey Work laptop").click()
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Remove passkey").click()
    await page.wait_for_url(re.compile(r"/home$"))
    assert await page.get_by_text("Passkey: Work laptop").count() == 0

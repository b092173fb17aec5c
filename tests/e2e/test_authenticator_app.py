"""The authenticator app in a browser, read by its labels (issue 10): an existing user chooses
AUTHENTICATOR APP, verifies the email on record, creates a password, adds the key to "the
app" (pyotp here) and types its code, keeps the recovery codes, and lands on home. Signed
out, Login with Email asks for the app's code; next time, a recovery code signs in instead,
and new codes come from the home page with the password."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from domain.authenticator_app import code_at, step_at
from tests.e2e.test_existing_user_phone_call import EMAIL, LEGACY_PASSWORD, NEW_PASSWORD, USERNAME, add_legacy_user

pytestmark = pytest.mark.browser


async def login_with_email(page, url: str) -> None:
    await page.goto(url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Enter the Code from Your Authenticator App").wait_for()


async def first_login_choosing(page, url: str, mail, method: str) -> None:
    """The existing user's first login, choosing ``method``, through the email on record's code
    and a new password: up to the method's own screen."""
    await page.goto(f"{url}/first-login")
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password").fill(LEGACY_PASSWORD)
    await page.get_by_role("button", name="Login").click()
    await page.get_by_role("button", name=method).click()
    await page.get_by_role("button", name="Send verification code").click()
    await mail.wait_for_messages_to(EMAIL)
    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("Confirm New Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Create").click()


async def test_set_up_the_app_then_sign_in_with_it_and_with_a_recovery_code(live_app, mail, page):
    await add_legacy_user(live_app.pool)
    await first_login_choosing(page, live_app.url, mail, "AUTHENTICATOR APP")

    await page.get_by_role("heading", name="Set Up Your Authenticator App").wait_for()
    await page.get_by_role("img", name="QR code for your authenticator app").wait_for()
    secret = (await page.locator("#app-key").inner_text()).replace(" ", "")
    await page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_role("heading", name="Your Recovery Codes").wait_for()
    codes = await page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    await page.get_by_role("button", name="I have saved my recovery codes, continue").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Authenticator app").wait_for()
    await page.get_by_role("button", name="Sign out", exact=True).click()

    await login_with_email(page, live_app.url)
    # The code that set the app up is spent: the next one the app shows signs in.
    await page.get_by_label("Code from your app").fill(code_at(secret, step_at(time.time()) + 1))
    await page.get_by_role("button", name="Verify code").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_role("button", name="Sign out", exact=True).click()

    await login_with_email(page, live_app.url)
    await page.get_by_role("button", name="Use a recovery code instead").click()
    await page.get_by_label("Recovery code").fill(codes[0])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Lee Legacy").wait_for()
    await page.get_by_text("9 unused").wait_for()

    # New codes from home, with the password typed again: the old ones stop working.
    await page.get_by_role("link", name="Get new recovery codes").click()
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Get new recovery codes").click()
    await page.get_by_role("heading", name="Your New Recovery Codes").wait_for()
    fresh = await page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(fresh) == 10 and not set(fresh) & set(codes)

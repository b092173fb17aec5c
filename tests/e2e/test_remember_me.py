"""Guide Section 5 in a browser: Remember Me checked at a Login with Phone lets the same
browser back in with LOGIN WITH PHONE without the password or a code once its session has
ended; LOGIN WITH EMAIL still asks for everything; Sign out forgets the browser. One browser
context throughout, as one browser's session."""

from __future__ import annotations

import re

import pytest

from tests.support.enrolled_users import PASSWORD, PHONE, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"


async def test_remember_me_skips_mfa_for_the_same_option_only(live_app, phones, page):
    await add_user(live_app.pool, "phone")
    await log_in_by_phone_remembered(live_app, phones, page)
    await page.get_by_text("On for Login with Phone on this browser").wait_for()

    # Later the session has timed out (they did not sign out). Back at the login page the box
    # is still checked: the same option goes straight home.
    await end_sessions(live_app)
    await page.goto(live_app.url)
    assert await page.get_by_label("Remember Me").is_checked()
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()
    assert len(phones.sms_to(PHONE)) == 1

    # The other option asks for everything.
    await end_sessions(live_app)
    await page.goto(live_app.url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_role("heading", name="Sign in with your email address").wait_for()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_text("Verification is necessary. Please click Send button.").wait_for()


async def test_sign_out_forgets_this_browser(live_app, phones, page):
    await add_user(live_app.pool, "phone")
    await log_in_by_phone_remembered(live_app, phones, page)
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # Signed out, this browser is no longer remembered: the box is unchecked, and the same
    # option asks for the password again.
    await page.get_by_text("You have been signed out.").wait_for()
    assert not await page.get_by_label("Remember Me").is_checked()
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.get_by_role("heading", name="Sign in with your email address").wait_for()


async def log_in_by_phone_remembered(live_app, phones, page) -> None:
    """Remember Me checked, then the whole Login with Phone by SMS, to the home page."""
    await page.goto(live_app.url)
    await page.get_by_label("Remember Me").check()
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Send Code").click()
    await phones.wait_for_sms_to(PHONE)
    await page.get_by_label("Verification Code").fill(phones.last_code_sms_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()
    await page.wait_for_url(re.compile(r"/home$"))


async def end_sessions(live_app) -> None:
    """The idle timeout, come early: every session is over, Remember Me is not."""
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE sessions SET idle_expires_at = now(), absolute_expires_at = now()")

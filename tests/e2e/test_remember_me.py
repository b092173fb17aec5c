"""Guide Section 5 in a browser: Remember Me checked at a Login with Phone lets the same
browser back in with LOGIN WITH PHONE without the password or a code; LOGIN WITH EMAIL still
asks for everything. One browser context throughout, as one browser's session."""

from __future__ import annotations

import re

import pytest

from tests.support.enrolled_users import PASSWORD, PHONE, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"


async def test_remember_me_skips_mfa_for_the_same_option_only(live_app, phones, page):
    await add_user(live_app.pool, "phone")
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
    await page.get_by_text("On for Login with Phone on this browser").wait_for()
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # Back at the login page the box is still checked: the same option goes straight home.
    await page.get_by_text("You have been signed out.").wait_for()
    assert await page.get_by_label("Remember Me").is_checked()
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()
    assert len(phones.sms_to(PHONE)) == 1
    await page.get_by_role("button", name="Sign out", exact=True).click()

    # The other option asks for everything.
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_role("heading", name="Sign in with your email address").wait_for()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_text("Verification is necessary. Please click Send button.").wait_for()

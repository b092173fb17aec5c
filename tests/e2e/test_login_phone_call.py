"""Guide Section 3 in a browser with Call Me: the phone rings and speaks a 6-digit code, which
is typed on the screen like the SMS code (a key press approves nothing)."""

from __future__ import annotations

import re

import pytest

from tests.support.enrolled_users import PASSWORD, PHONE, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"


async def test_phone_login_with_call_me(live_app, phones, page):
    await add_user(live_app.pool, "phone")
    await page.goto(live_app.url)
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.get_by_text("XXX-XXX-9885").wait_for()
    await page.get_by_role("button", name="Call Me").click()
    await page.get_by_text("We are calling you now. Answer the call and enter the 6-digit code you hear below.").wait_for()
    await phones.wait_for_calls_to(PHONE)
    # The call speaks the code; the person types what they heard.
    await page.get_by_label("Verification Code").fill(phones.last_spoken_code_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()

"""Guide Section 3 in a browser with Call Me: the phone rings, # is pressed, and the page
moves on to the home page by itself."""

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
    await page.get_by_text("We are calling you now. Answer and press # to complete verification.").wait_for()
    [call] = await phones.wait_for_calls_to(PHONE)
    assert await phones.press_async(call["sid"], "#") == 200
    # Nobody touches the page: its own refresh brings the home page.
    await page.wait_for_url(re.compile(r"/home$"), timeout=20_000)
    await page.get_by_text("Welcome, Dana Doctor").wait_for()

"""Guide Section 3 in a browser, read by its labels: LOGIN WITH PHONE, a wrong password
answered on the same screen, "Sign in with your email address", the number on record masked
as XXX-XXX-9885, Send Code, the SMS code, Verify Code — and the home page."""

from __future__ import annotations

import re

import pytest

from tests.support.enrolled_users import PASSWORD, PHONE, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"


async def test_phone_login_with_sms(live_app, phones, page):
    await add_user(live_app.pool, "phone")
    await page.goto(live_app.url)
    await page.get_by_role("heading", name="LOGIN OPTIONS").wait_for()
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()

    await page.get_by_role("heading", name="Sign in with your email address").wait_for()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill("Not-The-Password-1")
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("alert").filter(has_text="Your email address or password is incorrect.").wait_for()
    assert await page.get_by_label("Email Address").input_value() == EMAIL
    assert await page.get_by_label("Password").input_value() == ""
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.get_by_text("We have the following number on record for you.").wait_for()
    await page.get_by_text("XXX-XXX-9885").wait_for()
    await page.get_by_role("button", name="Send Code").click()
    await page.get_by_label("Verification Code").wait_for()
    await phones.wait_for_sms_to(PHONE)
    await page.get_by_label("Verification Code").fill(phones.last_code_sms_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()

    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()
    await page.get_by_text("Phone: XXX-XXX-9885").wait_for()

"""Guide Section 4 in a browser, read by its labels: LOGIN WITH EMAIL, "Sign in with your
email address", the address prefilled, Send verification code, a wrong code and the right
one, "E-mail address verified. You can now continue.", Continue — and the home page. A user
who registered with email is told so when choosing the phone."""

from __future__ import annotations

import re

import pytest

from tests.support.enrolled_users import PASSWORD, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"


async def test_email_login(live_app, mail, page):
    await add_user(live_app.pool, "email")
    await page.goto(live_app.url)
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("alert").filter(has_text="You registered with email. Please use Login with Email.").wait_for()

    await page.goto(live_app.url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_role("heading", name="Sign in with your email address").wait_for()
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.get_by_text("Verification is necessary. Please click Send button.").wait_for()
    assert await page.get_by_label("Email Address").input_value() == "d*******@example.com"
    assert await page.get_by_role("button", name="Continue").is_disabled()
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent to your inbox. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL)
    code = mail.last_code_to(EMAIL)
    await page.get_by_label("Verification code").fill("000000" if code != "000000" else "111111")
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_role("alert").filter(has_text="The verification code is incorrect.").wait_for()
    await page.get_by_label("Verification code").fill(code)
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_text("E-mail address verified. You can now continue.").wait_for()
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()

"""Guide "Forgot or Reset Password" in a browser, read by its labels: a phone user opens Login
with Phone, clicks "Forgot your password?", verifies the emailed code, continues, verifies by
SMS (a reset never skips the second factor), sets a new password and lands on the home page —
and the new password is the one that now opens the account."""

from __future__ import annotations

import re

import pytest

from domain.passwords import verify_password
from store.accounts import account_by_id
from tests.support.enrolled_users import PASSWORD as OLD_PASSWORD
from tests.support.enrolled_users import PHONE, add_user

pytestmark = pytest.mark.browser

EMAIL = "dana.doctor@example.com"
NEW_PASSWORD = "Silver-Canyon-Meadow-82"


async def test_phone_user_resets_the_password_with_email_and_sms(live_app, mail, phones, page):
    user_id = await add_user(live_app.pool, "phone")
    await page.goto(live_app.url)
    await page.get_by_role("button", name="LOGIN WITH PHONE").click()
    await page.get_by_role("heading", name="Sign in with your email address").wait_for()
    await page.get_by_role("link", name="Forgot your password?").click()

    await page.get_by_label("Email Address").fill(EMAIL)
    assert await page.get_by_role("button", name="Continue").is_disabled()
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL)
    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_text("E-mail address verified. You can now continue.").wait_for()
    await page.get_by_role("button", name="Continue").click()

    await page.get_by_text("We have the following number on record for you.").wait_for()
    await page.get_by_text("XXX-XXX-9885").wait_for()
    await page.get_by_role("button", name="Send Code").click()
    await page.get_by_text("Enter your verification code below, or").wait_for()
    await phones.wait_for_sms_to(PHONE)
    await page.get_by_label("Verification Code").fill(phones.last_code_sms_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()

    await page.get_by_label("New Password", exact=True).fill("password1234")
    await page.get_by_label("Confirm New Password").fill("password1234")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("alert").filter(has_text="This password is too easy to guess.").wait_for()
    await page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("Confirm New Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Continue").click()

    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Dana Doctor").wait_for()
    async with live_app.pool.acquire() as conn:
        stored = (await account_by_id(conn, user_id)).password_hash
    assert verify_password(stored, NEW_PASSWORD) and not verify_password(stored, OLD_PASSWORD)

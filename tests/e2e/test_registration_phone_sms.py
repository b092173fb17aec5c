"""Guide Section 2 in a browser, read by its labels: a new provider registers (organization,
user information, the emailed link), enrolls with phone + Send Code, accepts the Terms of
Use and lands on the home page."""

from __future__ import annotations

import re

import pytest

from domain.passwords import hash_password
from store.providers import add_provider

pytestmark = pytest.mark.browser

NPI = "1234567893"
REGISTRATION_CODE = "DEMO-REG-2026"
EMAIL = "riley.registrant@example.com"
PASSWORD = "Quiet-Harbor-Lantern-47"
PHONE = "+12025550143"


async def test_new_provider_registers_with_phone_and_sms(live_app, mail, phones, page):
    async with live_app.pool.acquire() as conn:
        await add_provider(conn, NPI, "Demo Family Practice", hash_password(REGISTRATION_CODE))

    await page.goto(live_app.url)
    await page.get_by_role("link", name="register here").click()
    await page.get_by_role("heading", name="Create a New Account - Specify Your Organization").wait_for()
    await page.get_by_label("NPI").fill(NPI)
    await page.get_by_label("PROVIDER REGISTRATION CODE").fill(REGISTRATION_CODE)
    await page.get_by_role("button", name="NEXT").click()

    await page.get_by_role("heading", name="Create a New Account - Enter User Information").wait_for()
    await page.get_by_label("USERNAME").fill("riley.registrant")
    await page.get_by_label("FIRST NAME").fill("Riley")
    await page.get_by_label("LAST NAME").fill("Registrant")
    await page.get_by_label("STATE").select_option("PA")
    await page.get_by_label(re.compile(r"^EMAIL")).fill(EMAIL)  # not CONFIRM EMAIL
    await page.get_by_label("CONFIRM EMAIL").fill(EMAIL)
    await page.get_by_label("FAX").fill("717.564.3862")
    await page.get_by_role("button", name="NEXT").click()
    await page.get_by_text("you must click the link in your email within 20 minutes").wait_for()

    await mail.wait_for_messages_to(EMAIL)
    await page.goto(mail.last_link_to(EMAIL))
    await page.get_by_text("Select the best multi-factor authentication method for you.").wait_for()
    await page.get_by_role("button", name="PHONE").click()

    assert await page.get_by_label("Email Address").input_value() == EMAIL
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL, count=2)
    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_text("The code has been verified. You can now continue.").wait_for()
    await page.get_by_label("New Password", exact=True).fill("password1234")
    await page.get_by_label("Confirm New Password").fill("password1234")
    await page.get_by_role("button", name="Create").click()
    await page.get_by_role("alert").filter(has_text="This password is too easy to guess.").wait_for()
    await page.get_by_label("New Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm New Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create").click()

    await page.get_by_text("Enter a number below that we can send a code via SMS or phone to authenticate you.").wait_for()
    await page.get_by_label("Phone Number").fill("(202) 555-0143")
    await page.get_by_role("button", name="Send Code").click()
    await page.get_by_text("Enter your verification code below, or").wait_for()
    await phones.wait_for_sms_to(PHONE)
    await page.get_by_label("Verification Code").fill(phones.last_code_sms_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()

    await page.get_by_role("heading", name="Terms of Use Agreement").wait_for()
    await page.get_by_role("button", name="CONTINUE").click()
    await page.get_by_role("alert").filter(has_text="Please check the box").wait_for()
    await page.get_by_label("I have read and agree to these terms of use.").check()
    await page.get_by_role("button", name="CONTINUE").click()

    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Riley Registrant").wait_for()

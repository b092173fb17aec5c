"""Guide Section 1 in a browser, read by its labels: an existing portal user signs in with
the Atrezzo username and password, verifies the work email on record, creates a password,
chooses Call Me and types the code the call speaks — and the home page follows."""

from __future__ import annotations

import re

import pytest

from domain.passwords import hash_password
from store.providers import add_provider
from store.users import import_legacy_user

pytestmark = pytest.mark.browser

USERNAME = "lee.legacy"
LEGACY_PASSWORD = "Legacy-Portal-2026"
EMAIL = "lee.legacy@example.com"
NEW_PASSWORD = "Quiet-Harbor-Lantern-47"
PHONE = "+12025550143"


async def add_legacy_user(pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await add_provider(conn, "1234567893", "Demo Family Practice", hash_password("DEMO-REG-2026"))
        await import_legacy_user(
            conn,
            username=USERNAME,
            password_hash=hash_password(LEGACY_PASSWORD),
            first_name="Lee",
            last_name="Legacy",
            email=EMAIL,
            provider_id=provider_id,
        )


async def test_existing_user_enrolls_with_phone_call_and_lands_on_home(live_app, mail, phones, page):
    await add_legacy_user(live_app.pool)
    await page.goto(f"{live_app.url}/first-login")
    await page.get_by_text("To begin the registration process, enter your Atrezzo username and password").wait_for()
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password").fill(LEGACY_PASSWORD)
    await page.get_by_role("button", name="Login").click()

    await page.get_by_text("Select the best multi-factor authentication method for you.").wait_for()
    await page.get_by_role("button", name="PHONE").click()

    # Begun with a password alone: the code goes to the email on file, shown masked.
    assert await page.get_by_label("Email Address").input_value() == "l*******@example.com"
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL)
    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_text("The code has been verified. You can now continue.").wait_for()
    await page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("Confirm New Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Create").click()

    await page.get_by_text("Enter a number below that we can send a code via SMS or phone to authenticate you.").wait_for()
    assert await page.get_by_label("Country Code").input_value() == "US"
    await page.get_by_label("Phone Number").fill("202-555-0143 x12")
    await page.get_by_role("button", name="Call Me").click()
    await page.get_by_role("alert").filter(has_text="Enter a 10-digit direct line; extensions are not supported.").wait_for()
    await page.get_by_label("Phone Number").fill("(202) 555-0143")
    await page.get_by_role("button", name="Call Me").click()

    await page.get_by_text("We are calling you now. Answer the call and enter the 6-digit code you hear below.").wait_for()
    await phones.wait_for_calls_to(PHONE)
    # The call speaks the code; the person types what they heard.
    await page.get_by_label("Verification Code").fill(phones.last_spoken_code_to(PHONE))
    await page.get_by_role("button", name="Verify Code").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Lee Legacy").wait_for()

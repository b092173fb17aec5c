"""A new provider registers the way the guide shows it (Section 2), reading the screens by
their labels (required ones with the guide's "*"): organization, user information, the emailed
link, MFA enrollment with the EMAIL method, the Terms of Use, and the home page."""

from __future__ import annotations

import re

import pytest

from domain.passwords import hash_password
from store.providers import add_provider

pytestmark = pytest.mark.browser

NPI = "1234567893"
CODE = "DEMO-REG-2026"
EMAIL = "casey.clinic@example.com"
PASSWORD = "Harbor-Lantern-Quietly-42"


async def test_new_provider_registers_with_the_email_method(live_app, mail, page):
    async with live_app.pool.acquire() as conn:
        await add_provider(conn, NPI, "Demo Family Practice", hash_password(CODE))

    await page.goto(f"{live_app.url}/")
    await page.get_by_role("link", name="register here").click()
    await page.get_by_role("heading", name="Create a New Account - Specify Your Organization").wait_for()
    await page.get_by_label("NPI").fill(NPI)
    await page.get_by_label("PROVIDER REGISTRATION CODE").fill("NOT-THE-CODE")
    await page.get_by_role("button", name="NEXT").click()
    await page.get_by_role("alert").filter(has_text="The NPI and registration code do not match our records.").wait_for()
    await page.get_by_label("PROVIDER REGISTRATION CODE").fill(CODE)
    await page.get_by_role("button", name="NEXT").click()

    await page.get_by_role("heading", name="Create a New Account - Enter User Information").wait_for()
    await page.get_by_text("Demo Family Practice").wait_for()
    await page.get_by_label("USERNAME *", exact=True).fill("casey.clinic")
    await page.get_by_label("FIRST NAME *", exact=True).fill("Casey")
    await page.get_by_label("LAST NAME *", exact=True).fill("Clinic")
    await page.get_by_label("ADDRESS 1", exact=True).fill("777 East Park Drive")
    await page.get_by_label("CITY", exact=True).fill("Harrisburg")
    await page.get_by_label("STATE", exact=True).select_option(label="Pennsylvania")
    await page.get_by_label("ZIP CODE", exact=True).fill("17111")
    await page.get_by_label("EMAIL *", exact=True).fill(EMAIL)
    await page.get_by_label("CONFIRM EMAIL *", exact=True).fill("casey.typo@example.com")
    await page.get_by_label("PHONE", exact=True).fill("(717) 564-8288")
    await page.get_by_label("FAX *", exact=True).fill("717-564-3862")
    await page.get_by_role("button", name="NEXT").click()
    # One mistake: named on its field, everything else still filled in.
    await page.get_by_role("alert").filter(has_text="Email addresses do not match.").wait_for()
    assert await page.get_by_label("FAX *", exact=True).input_value() == "717-564-3862"
    assert await page.get_by_label("STATE", exact=True).input_value() == "PA"
    await page.get_by_label("CONFIRM EMAIL *", exact=True).fill(EMAIL)
    await page.get_by_role("button", name="NEXT").click()
    await page.get_by_text(
        "To complete the Multi-Factor Authentication registration, you must click the link in your email within 20 minutes."
    ).wait_for()

    await mail.wait_for_messages_to(EMAIL)
    await page.goto(mail.last_link_to(EMAIL))
    await page.wait_for_url(re.compile(r"/mfa$"))
    await page.get_by_text("Select the best multi-factor authentication method for you.").wait_for()

    await page.get_by_role("button", name="EMAIL", exact=True).click()
    assert await page.get_by_label("Email Address").input_value() == EMAIL
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL, count=2)
    await page.get_by_label("Verification Code").fill("000000" if mail.last_code_to(EMAIL) != "000000" else "111111")
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_role("alert").filter(has_text="The verification code is incorrect.").wait_for()
    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()

    await page.get_by_text("The code has been verified. You can now continue.").wait_for()
    await page.get_by_label("New Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm New Password").fill(PASSWORD + "x")
    await page.get_by_role("button", name="Create").click()
    await page.get_by_role("alert").filter(has_text="Passwords do not match.").wait_for()
    await page.get_by_label("New Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm New Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create").click()

    await page.get_by_role("heading", name="Terms of Use Agreement").wait_for()
    await page.get_by_label("I have read and agree to these terms of use.").check()
    await page.get_by_role("button", name="CONTINUE").click()
    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Casey Clinic").wait_for()

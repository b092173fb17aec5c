"""Provider Administrator Reset Registration in a browser, read by the guide's labels: the
admin logs in, Setup → Manage Users → expands the user → the pencil (Edit) → Reset
Registration → confirms; the user follows the emailed link, signs in with username and
password, registers again with the EMAIL method, and then logs in with Login with Email."""

from __future__ import annotations

import re

import pytest

from tests.support.provider_admins import PASSWORD, member

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "ada.admin@example.com"
EMAIL = "dana.doctor@example.com"
NEW_PASSWORD = "Copper-Meadow-Signal-58"


async def log_in_with_email(page, url: str, mail, email: str, password: str, codes_before: int) -> None:
    await page.goto(url)
    await page.get_by_role("button", name="LOGIN WITH EMAIL").click()
    await page.get_by_label("Email Address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Send verification code").click()
    await mail.wait_for_messages_to(email, count=codes_before + 1)
    await page.get_by_label("Verification code").fill(mail.last_code_to(email))
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(re.compile(r"/home$"))


async def test_admin_resets_a_user_who_registers_again_and_logs_in(live_app, mail, page, browser):
    await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    await member(live_app.pool, "dana.doctor")

    await log_in_with_email(page, live_app.url, mail, ADMIN_EMAIL, PASSWORD, codes_before=0)
    await page.get_by_text("Welcome, Ada Admin").wait_for()
    await page.get_by_text("SETUP", exact=True).click()
    await page.get_by_role("link", name="Manage Users").click()
    await page.get_by_role("heading", name="Manage Users").wait_for()
    dana = page.locator("details", has_text="Dana Doctor (dana.doctor)")
    await dana.get_by_text("Dana Doctor (dana.doctor)").click()
    await dana.get_by_text("d*******@example.com").wait_for()  # shown once expanded
    await dana.get_by_role("link", name="Edit").click()
    await page.get_by_role("heading", name="Edit User").wait_for()
    await page.get_by_role("button", name="Reset Registration").click()
    await page.get_by_role("heading", name="Reset Registration").wait_for()
    await page.get_by_role("button", name="Confirm Reset Registration").click()
    await page.get_by_text("The registration has been reset.").wait_for()
    await page.get_by_text(re.compile(r"^Reset pending since ")).wait_for()
    await page.get_by_text("Not registered").wait_for()

    user = await (await browser.new_context()).new_page()
    try:
        await mail.wait_for_messages_to(EMAIL)
        await user.goto(mail.last_link_to(EMAIL))
        await user.wait_for_url(re.compile(r"/first-login\?"))
        await user.get_by_text("Your provider administrator has reset your multi-factor authentication registration.").wait_for()
        await user.get_by_label("Username").fill("dana.doctor")
        await user.get_by_label("Password").fill(PASSWORD)
        await user.get_by_role("button", name="Login").click()
        await user.wait_for_url(re.compile(r"/mfa$"))
        await user.get_by_text("Select the best multi-factor authentication method for you.").wait_for()
        await user.get_by_role("button", name="EMAIL", exact=True).click()
        # Begun with a password alone: the code goes to the address on record, shown masked.
        assert await user.get_by_label("Email Address").input_value() == "d*******@example.com"
        await user.get_by_role("button", name="Send verification code").click()
        await mail.wait_for_messages_to(EMAIL, count=2)
        await user.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
        await user.get_by_role("button", name="Verify code").click()
        await user.get_by_text("The code has been verified. You can now continue.").wait_for()
        await user.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
        await user.get_by_label("Confirm New Password").fill(NEW_PASSWORD)
        await user.get_by_role("button", name="Create").click()
        await user.wait_for_url(re.compile(r"/home$"))
        await user.get_by_role("button", name="Sign out", exact=True).click()

        await log_in_with_email(user, live_app.url, mail, EMAIL, NEW_PASSWORD, codes_before=2)
        await user.get_by_text("Welcome, Dana Doctor").wait_for()
    finally:
        await user.context.close()

    await page.reload()
    await page.get_by_text(re.compile(r"^Re-registered on ")).wait_for()

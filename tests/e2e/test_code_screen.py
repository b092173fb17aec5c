"""A person on the code screen, reading it by the guide's labels (Sections 1 and 4)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

EMAIL = "robin.reader@example.com"


async def test_person_gets_a_code_by_email_and_verifies_it(live_app, mail, page):
    await page.goto(f"{live_app.url}/challenge/new")
    await page.get_by_label("Email Address").fill(EMAIL)
    await page.get_by_role("button", name="Send verification code").click()
    await page.get_by_text("Verification code has been sent. Please copy it to the input box below.").wait_for()
    await mail.wait_for_messages_to(EMAIL)

    await page.get_by_label("Verification Code").fill("12")
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_role("alert").filter(has_text="Enter the 6-digit code.").wait_for()

    await page.get_by_label("Verification Code").fill(mail.last_code_to(EMAIL))
    await page.get_by_role("button", name="Verify code").click()
    await page.get_by_text("Verified.").wait_for()

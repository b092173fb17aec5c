"""The Kepro box's LOGIN in a browser, read by its labels: LOGIN, the identity provider's page
(the local one of `make dev`, PKCE enforced), back signed in as staff, and on to Operations;
then Sign out, which offers signing out of Kepro too."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


async def test_kepro_login_signs_staff_in_and_on_to_operations(staff_app, oidc_provider, page):
    await page.goto(staff_app.url)
    kepro = page.get_by_role("region", name="Kepro")
    await kepro.get_by_text("Use this login button if you have a Kepro domain account.").wait_for()
    await kepro.get_by_role("link", name="LOGIN").click()

    # The provider's own page: the staff member picks their identity.
    await page.wait_for_url(re.compile(re.escape(oidc_provider.issuer) + r"/oauth2/authorize"))
    await page.get_by_role("button", name=oidc_provider.demo.sub).click()

    await page.wait_for_url(re.compile(r"/home$"))
    await page.get_by_text("Welcome, Demo Staff").wait_for()
    await page.get_by_text("By Kepro sign-in").wait_for()
    await page.get_by_text("SETUP").click()
    await page.get_by_role("link", name="Operations").click()
    await page.wait_for_url(re.compile(r"/operations$"))

    await page.goto(f"{staff_app.url}/home")
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await page.get_by_text("You have been signed out of the portal.").wait_for()
    await page.get_by_role("link", name="Sign out of Kepro too").wait_for()

"""MFA enrollment with the authenticator app (api/routes/enrollment.py, issue 10) against the
real stack: the setup screen's key, QR code and otpauth address, a wrong code on the same
screen, the app's code making it the method, recovery codes shown once (and new ones on
request, the old ones void), then signed in. The decoded history holds none of the secrets."""

from __future__ import annotations

import uuid

import pyotp

from domain import digests, recovery_codes
from tests.api.routes.test_enrollment import (
    EMAIL,
    PASSWORD,
    account,
    act,
    add_legacy_user,
    assert_history_clean,
    csrf_of,
    first_login,
    other_code,
    passwords,
    signed_in_name,
    submit,
)
from tests.api.routes.test_login import events
from workflows.app_code_step import APP_CODE_WRONG

ISSUER = "issuer=Atrezzo%20Provider%20Portal"


async def _through_password(http, mail) -> str:
    await act(http, "method", {"method": "app"})
    await act(http, "email/on-record")
    await mail.wait_for_messages_to(EMAIL)
    email_code = mail.last_code_to(EMAIL)
    await act(http, "code/verify", {"code": email_code})
    return email_code


async def stored_digests(live_app, user_id: str) -> set[str]:
    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch("SELECT code_digest FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL", uuid.UUID(user_id))
    return {row["code_digest"] for row in rows}


def digests_of(live_app, user_id: str, codes: list[str]) -> set[str]:
    key = digests.derive_key(live_app.settings.secret_key, recovery_codes.DIGEST_KEY)
    return {recovery_codes.digest(key, user_id, code) for code in codes}


async def test_the_app_is_set_up_through_the_json_api_and_its_codes_are_shown_once(live_app, mail):
    user_id = await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        flow_id = await first_login(http)
        email_code = await _through_password(http, mail)
        view = await act(http, "password", passwords(PASSWORD))
        assert view["step"] == "app"
        assert view["app_uri"].startswith("otpauth://totp/") and ISSUER in view["app_uri"]
        secret = pyotp.parse_uri(view["app_uri"]).secret
        assert view["app_key"].replace(" ", "") == secret
        # The screen shows the same key on every look, until a new one is asked for.
        assert (await http.get("/api/v1/mfa")).json()["app_key"] == view["app_key"]
        code = pyotp.TOTP(secret).now()
        await act(http, "app/verify", {"code": other_code(code)}, errors={"code": APP_CODE_WRONG})
        await act(http, "app/verify", {"code": "12 34"}, errors={"code": "Enter the 6-digit code."})
        view = await act(http, "app/verify", {"code": code})
        assert (view["step"], view["app_key"], view["app_uri"]) == ("recovery_codes", "", "")
        shown = view["recovery_codes"]
        assert len(shown) == 10 and len(set(shown)) == 10
        assert await stored_digests(live_app, user_id) == digests_of(live_app, user_id, shown)
        # Shown once: a second look has none, and new ones void the first.
        assert (await http.get("/api/v1/mfa")).json()["recovery_codes"] == []
        again = (await act(http, "recovery-codes/new"))["recovery_codes"]
        assert len(again) == 10 and not set(again) & set(shown)
        assert await stored_digests(live_app, user_id) == digests_of(live_app, user_id, again)
        done = await act(http, "recovery-codes/saved")
        assert (done["step"], done["status"]) == ("done", "completed")
        assert await signed_in_name(http) == "Lee Legacy"
    enrolled = await account(live_app, user_id)
    assert (enrolled.mfa_method, enrolled.mfa_phone) == ("app", None)
    assert [e["detail"]["flow"] for e in await events(live_app, "recovery_codes.issued")] == [flow_id, flow_id]
    await assert_history_clean(live_app, flow_id, PASSWORD, email_code, code, secret, *shown, *again)
    # The email code, then the notices: the password created, and the new method.
    messages = await mail.wait_for_messages_to(EMAIL, 3)
    [notice] = [m["text"] for m in messages if m["subject"] == "Your Atrezzo multi-factor authentication was set up"]
    assert "authenticator app" in notice


async def test_the_setup_screen_and_the_codes_screen_in_the_browser_forms(live_app, mail):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        await first_login(http)
        page = await http.get("/mfa")
        assert '<button type="submit" name="method" value="app">AUTHENTICATOR APP</button>' in page.text
        csrf = csrf_of(page.text)
        await _through_password(http, mail)
        page = await submit(http, "password", csrf, password=PASSWORD, confirm_password=PASSWORD)
        assert "Set Up Your Authenticator App" in page.text and "<svg" in page.text
        key = page.text.split('id="app-key">', 1)[1].split("<", 1)[0]
        code = pyotp.TOTP(key.replace(" ", "")).now()
        wrong = await submit(http, "app/verify", csrf, status=422, code=other_code(code))
        assert APP_CODE_WRONG in wrong.text and key in wrong.text
        page = await submit(http, "app/verify", csrf, code=code)
        assert "Your Recovery Codes" in page.text and "They are shown only this once." in page.text
        assert page.text.count("<li><code>") == 10
        reloaded = await http.get("/mfa")
        assert "<li><code>" not in reloaded.text and "Show new recovery codes" in reloaded.text
        home = await submit(http, "recovery-codes/saved", csrf, status=303)
        assert home.headers["location"] == "/home"
        assert "Authenticator app" in (await http.get("/home")).text

"""Forgot Password for someone whose second factor is the authenticator app (issue 10),
against the real stack: the emailed code alone never reaches the new password; the app's
code, or a recovery code, does. The decoded history holds none of the codes."""

from __future__ import annotations

import uuid

import pyotp

from domain import digests, recovery_codes
from domain.passwords import verify_password
from store import recovery_codes as stored_codes
from tests.api.routes.test_password_reset import (
    EMAIL,
    NEW_PASSWORD,
    act,
    assert_history_clean,
    csrf_of,
    email_code,
    other_code,
    password_hash,
    passwords,
    start,
    submit,
)
from tests.support.enrolled_users import add_app_user
from workflows.app_code_step import APP_CODE_WRONG

NOT_YET = "Please use your authenticator app or passkey first."


async def test_the_app_code_is_asked_before_the_new_password(live_app, mail):
    user_id, secret = await add_app_user(live_app.pool, live_app.settings.secret_key)
    async with live_app.http() as http:
        flow_id = await start(http, EMAIL)
        code = await email_code(mail)
        await act(http, "code/verify", {"code": code})
        assert (await act(http, "continue"))["step"] == "app_code"
        await act(http, "password", passwords(NEW_PASSWORD), errors={"form": NOT_YET})
        app_code = pyotp.TOTP(secret).now()
        await act(http, "app/verify", {"code": other_code(app_code)}, errors={"code": APP_CODE_WRONG})
        assert (await act(http, "app/verify", {"code": app_code}))["step"] == "new_password"
        done = await act(http, "password", passwords(NEW_PASSWORD))
        assert done["step"] == "done" and (await http.get("/api/v1/me")).status_code == 200
    assert verify_password(await password_hash(live_app, user_id), NEW_PASSWORD)
    await assert_history_clean(live_app, flow_id, EMAIL, NEW_PASSWORD, code, app_code, secret)


async def test_a_recovery_code_stands_in_for_the_app_through_the_forms(live_app, mail):
    user_id, _ = await add_app_user(live_app.pool, live_app.settings.secret_key)
    codes = recovery_codes.new_codes()
    key = digests.derive_key(live_app.settings.secret_key, recovery_codes.DIGEST_KEY)
    async with live_app.pool.acquire() as conn:
        await stored_codes.replace(conn, uuid.UUID(user_id), [recovery_codes.digest(key, user_id, c) for c in codes])
    async with live_app.http() as http:
        page = await http.get("/password/reset")
        csrf = csrf_of(page.text)
        await submit(http, "", csrf, status=303, email=EMAIL)
        await submit(http, "code/verify", csrf, code=await email_code(mail))
        page = await submit(http, "continue", csrf)
        assert "Enter the Code from Your Authenticator App" in page.text
        page = await submit(http, "recovery-code", csrf)
        assert "Enter a Recovery Code" in page.text and ">Continue</button>" in page.text
        page = await submit(http, "recovery-code/verify", csrf, code=codes[5])
        assert '<label for="new_password">New Password</label>' in page.text
    [notice, _] = await mail.wait_for_messages_to(EMAIL, 2)
    assert "9 of them are left" in notice["text"]

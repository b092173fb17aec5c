"""Passkeys through the API (issue 10) against the real stack at http://localhost, with a
software passkey answering as a browser's would: PASSKEY in enrollment, then Login with
Email and a password reset asking for it; a refused answer on the same screen; and the
method not offered where the portal has no host name."""

from __future__ import annotations

import json

from webauthn.helpers import bytes_to_base64url

from api.sessions import SESSION_COOKIE
from tests.api.routes import test_login as login
from tests.api.routes import test_password_reset as reset
from tests.api.routes.test_enrollment import (
    EMAIL,
    PASSWORD,
    account,
    act,
    add_legacy_user,
    assert_history_clean,
    first_login,
    passwords,
    signed_in_name,
)
from tests.support.enrolled_users import PASSWORD as LOGIN_PASSWORD
from tests.support.enrolled_users import add_user, session_token
from tests.support.soft_passkey import SoftPasskey
from workflows.passkey_step import PASSKEY_REFUSED


async def enroll_with_passkey(app, http, mail, device: SoftPasskey) -> tuple[str, str]:
    flow_id = await first_login(http)
    await act(http, "method", {"method": "passkey"})
    await act(http, "email/on-record")
    await mail.wait_for_messages_to(EMAIL)
    email_code = mail.last_code_to(EMAIL)
    await act(http, "code/verify", {"code": email_code})
    view = await act(http, "password", passwords(PASSWORD))
    assert view["step"] == "passkey"
    options = json.loads(view["passkey_options"])
    assert (options["rp"]["id"], options["authenticatorSelection"]["userVerification"]) == ("localhost", "required")
    # A browser on a look-alike site cannot answer for the portal.
    fake = SoftPasskey("http://localhost.evil.example").create(view["passkey_options"])
    view = await act(http, "passkey", {"credential": fake, "name": "Phish"}, errors={"passkey": PASSKEY_REFUSED})
    view = await act(http, "passkey", {"credential": device.create(view["passkey_options"]), "name": "Work laptop"})
    assert (view["step"], len(view["recovery_codes"])) == ("recovery_codes", 10)
    done = await act(http, "recovery-codes/saved")
    assert done["step"] == "done"
    return flow_id, email_code


async def test_a_passkey_is_made_in_enrollment_and_signs_in_afterwards(passkey_app, mail):
    user_id = await add_legacy_user(passkey_app.pool)
    device = SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        flow_id, email_code = await enroll_with_passkey(passkey_app, http, mail, device)
        assert await signed_in_name(http) == "Lee Legacy"
    assert (await account(passkey_app, user_id)).mfa_method == "passkey"
    await assert_history_clean(passkey_app, flow_id, PASSWORD, email_code)

    async with passkey_app.http() as http:
        view = (await login.sign_in_api(http, "email", EMAIL, PASSWORD)).json()
        assert view["step"] == "passkey"
        first = view["passkey_options"]
        view = await login.act(http, "passkey", {"credential": device.get(first)})
        assert view["step"] == "done" and await signed_in_name(http) == "Lee Legacy"
    async with passkey_app.http() as http:
        view = (await login.sign_in_api(http, "email", EMAIL, PASSWORD)).json()
        # An answer signed for the earlier login's challenge does not sign this one in.
        stale = device.get(first)
        await login.act(http, "passkey", {"credential": stale}, errors={"passkey": PASSKEY_REFUSED})
        refused = await http.post("/api/v1/login/phone", json={"email": EMAIL, "password": PASSWORD})
        assert refused.json() == {"errors": {"form": "You registered with a passkey. Please use Login with Email."}}


async def test_a_password_reset_asks_for_the_passkey(passkey_app, mail):
    await add_legacy_user(passkey_app.pool)
    device = SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        await enroll_with_passkey(passkey_app, http, mail, device)
    await mail.wait_for_messages_to(EMAIL, 3)  # the code, then the notices of the password and the method
    mail.clear()
    async with passkey_app.http() as http:
        await reset.start(http, EMAIL)
        await mail.wait_for_messages_to(EMAIL)
        await reset.act(http, "code/verify", {"code": mail.last_code_to(EMAIL)})
        view = await reset.act(http, "continue")
        assert view["step"] == "passkey" and view["passkey_options"]
        await reset.act(http, "password", passwords("Another-Quiet-Lantern-58"),
                        errors={"form": "Please use your authenticator app or passkey first."})
        view = await reset.act(http, "passkey", {"credential": device.get(view["passkey_options"])})
        assert view["step"] == "new_password"


async def test_passkeys_are_not_offered_without_a_host_name(live_app):
    await add_legacy_user(live_app.pool)
    async with live_app.http() as http:
        await first_login(http)
        page = await http.get("/mfa")
        assert "AUTHENTICATOR APP" in page.text and "PASSKEY</button>" not in page.text
        view = await act(http, "method", {"method": "passkey"}, errors={
            "method": "Passkeys cannot be used at this address of the portal. Please choose another method."
        })
        assert view["step"] == "method"


async def summary(http) -> dict:
    return (await http.get("/api/v1/account")).json()


async def test_from_home_another_passkey_is_added_and_one_removed_but_never_the_last(passkey_app, mail):
    await add_legacy_user(passkey_app.pool)
    laptop, phone = SoftPasskey(passkey_app.url), SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        await enroll_with_passkey(passkey_app, http, mail, laptop)
        wrong = await http.post("/api/v1/account/passkeys/new", json={"password": "not it"})
        assert (wrong.status_code, wrong.json()) == (422, {"errors": {"password": "Your password is incorrect."}})
        started = await http.post("/api/v1/account/passkeys/new", json={"password": PASSWORD})
        assert started.json()["next"] == "/api/v1/mfa"
        view = (await http.get("/api/v1/mfa")).json()
        options = json.loads(view["passkey_options"])
        # The browser is told which passkey the account has, so it does not make a second on one device.
        assert (view["step"], options["excludeCredentials"][0]["id"]) == ("passkey", bytes_to_base64url(laptop.credential_id))
        done = await act(http, "passkey", {"credential": phone.create(view["passkey_options"]), "name": "Phone"})
        assert done["step"] == "done"  # no second set of recovery codes
        listed = (await summary(http))["passkeys"]
        assert [p["name"] for p in listed] == ["Work laptop", "Phone"]

        removed = await http.post("/api/v1/account/passkeys/remove", json={"passkey": listed[0]["id"], "password": PASSWORD})
        assert removed.json() == {"removed": "Work laptop"}
        last = await http.post("/api/v1/account/passkeys/remove", json={"passkey": listed[1]["id"], "password": PASSWORD})
        assert last.status_code == 409 and last.json()["errors"]["passkey"].startswith("This is your only passkey.")
        assert [p["name"] for p in (await summary(http))["passkeys"]] == ["Phone"]
    # The email code, the password's and the method's notices, then the passkey added and removed.
    texts = [m["text"] for m in await mail.wait_for_messages_to(EMAIL, 5)]
    assert any('The passkey "Phone" was added' in t for t in texts)
    assert any('The passkey "Work laptop" was removed' in t for t in texts)


async def test_someone_with_another_method_switches_to_a_passkey_from_home(passkey_app, mail):
    user_id = await add_user(passkey_app.pool, "email", username="erin", email="erin@example.com")
    device = SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        http.cookies.set(SESSION_COOKIE, await session_token(passkey_app, user_id))
        page = await http.get("/home")
        assert '<a href="/account/passkeys/new">Add a passkey</a>' in page.text
        await http.post("/api/v1/account/passkeys/new", json={"password": LOGIN_PASSWORD})
        view = (await http.get("/api/v1/mfa")).json()
        view = await act(http, "passkey", {"credential": device.create(view["passkey_options"]), "name": "Desk"})
        assert (view["step"], len(view["recovery_codes"])) == ("recovery_codes", 10)
        assert (await act(http, "recovery-codes/saved"))["step"] == "done"
    assert (await account(passkey_app, user_id)).mfa_method == "passkey"
    other = await add_user(passkey_app.pool, "email", username="finn", email="finn@example.com")
    async with passkey_app.http() as http:
        http.cookies.set(SESSION_COOKIE, await session_token(passkey_app, other))
        theirs = (await summary(http))["passkeys"]
        assert theirs == []
        removed = await http.post("/api/v1/account/passkeys/remove", json={
            "passkey": bytes_to_base64url(device.credential_id), "password": LOGIN_PASSWORD,
        })
        assert removed.status_code == 409 and removed.json()["errors"]["passkey"] == "There is no such passkey on your account."

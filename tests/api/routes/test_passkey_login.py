"""Sign in with a passkey alone (api/routes/passkey_login.py) against the real stack at
http://localhost, with a software passkey: the person is signed in as the passkey's owner; a
passkey nobody registered, or an answer for another sign-in, signs nobody in; and the button
is only where passkeys can work."""

from __future__ import annotations

import json

from api.sessions import SESSION_COOKIE
from tests.api.routes.test_enrollment import add_legacy_user
from tests.api.routes.test_login import csrf_of, events, signed_in_name
from tests.api.routes.test_passkeys import enroll_with_passkey
from tests.support.soft_passkey import SoftPasskey
from workflows.passkey_step import PASSKEY_REFUSED


async def start(http) -> dict:
    response = await http.post("/api/v1/passkey/sign-in", json={})
    assert response.status_code == 201, response.text
    return response.json()


async def answer(http, credential: str) -> dict:
    response = await http.post("/api/v1/passkey/sign-in/answer", json={"credential": credential})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_passkey_alone_signs_its_owner_in(passkey_app, mail):
    user_id = await add_legacy_user(passkey_app.pool)
    device = SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        await enroll_with_passkey(passkey_app, http, mail, device)
    async with passkey_app.http() as http:
        view = await start(http)
        options = json.loads(view["passkey_options"])
        # Discoverable: the browser offers whichever of its passkeys are for this site.
        assert (view["step"], options["allowCredentials"], options["userVerification"]) == ("passkey", [], "required")
        stranger = SoftPasskey(passkey_app.url)  # a passkey never registered here
        view = await answer(http, stranger.get(view["passkey_options"]))
        assert view["errors"] == {"passkey": PASSKEY_REFUSED} and await signed_in_name(http) is None
        done = await answer(http, device.get(view["passkey_options"]))
        assert done["step"] == "done" and await signed_in_name(http) == "Lee Legacy"
    [succeeded] = [e for e in await events(passkey_app, "login.succeeded") if e["detail"].get("option") == "passkey"]
    assert str(succeeded["subject_user_id"]) == user_id


async def test_an_answer_for_another_sign_in_signs_nobody_in(passkey_app, mail):
    await add_legacy_user(passkey_app.pool)
    device = SoftPasskey(passkey_app.url)
    async with passkey_app.http() as http:
        await enroll_with_passkey(passkey_app, http, mail, device)
    async with passkey_app.http() as victim, passkey_app.http() as attacker:
        theirs = await start(victim)
        mine = await start(attacker)
        # Signed for the victim's ceremony, sent through the attacker's sign-in.
        view = await answer(attacker, device.get(theirs["passkey_options"]))
        assert view["errors"] == {"passkey": PASSKEY_REFUSED} and SESSION_COOKIE not in attacker.cookies
        assert mine["passkey_options"] != theirs["passkey_options"]


async def test_the_button_is_offered_only_where_passkeys_work(passkey_app, live_app):
    async with passkey_app.http() as http:
        page = await http.get("/login/email")
        assert "Sign in with a passkey</button>" in page.text
        # The browser may offer passkeys in the address's autofill (api/static/passkey_autofill.js).
        assert 'autocomplete="username webauthn"' in page.text and 'data-passkey-autofill="/api/v1/passkey/sign-in"' in page.text
        started = await http.post("/passkey/sign-in", data={"csrf_token": csrf_of(page.text)})
        assert (started.status_code, started.headers["location"]) == (303, "/passkey/sign-in")
        assert "Sign In with a Passkey" in (await http.get("/passkey/sign-in")).text
    async with live_app.http() as http:
        page = await http.get("/login/email")
        assert "Sign in with a passkey" not in page.text and "webauthn" not in page.text
        refused = await http.post("/api/v1/passkey/sign-in", json={})
        assert refused.status_code == 409

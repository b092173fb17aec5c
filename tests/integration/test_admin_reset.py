"""Provider Administrator Reset Registration end to end on the real stack (PostgreSQL, the dev
server, the SMTP sink): the reset and what it undoes, the emailed link and first login, the
re-registration, the states Manage Users shows, a second reset, and no secret at rest."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from engine.codec import EncryptionCodec
from tests.support.enrolled_users import session_token
from tests.support.histories import decoded_text, update_names
from tests.support.provider_admins import PASSWORD, member, remember_me_token, signed_in
from workflows.admin_reset import admin_reset_id

EMAIL = "dana.doctor@example.com"
NEW_PASSWORD = "Copper-Meadow-Signal-58"
LINK_NOTICE = "Your provider administrator has reset your multi-factor authentication registration."


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def reset_by_form(http, user_id: str) -> str:
    """Edit → Reset Registration → Confirm, as the pages do it; the page that follows."""
    confirm = await http.get(f"/manage-users/{user_id}/reset-registration")
    done = await http.post(f"/manage-users/{user_id}/reset-registration", data={"csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/manage-users/{user_id}?notice=reset_started"
    return (await http.get(done.headers["location"])).text


async def state_of(live_app, user_id: str) -> dict:
    async with live_app.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT mfa_method, mfa_phone, status, password_hash FROM users WHERE id = $1", uuid.UUID(user_id))
        live = await conn.fetchval(
            "SELECT (SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL)"
            " + (SELECT count(*) FROM remember_me_tokens WHERE user_id = $1 AND revoked_at IS NULL)",
            uuid.UUID(user_id),
        )
    return {**dict(row), "live_sign_ins": live}


async def events_about(live_app, user_id: str) -> list[tuple[str, str | None]]:
    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event, actor_user_id FROM audit_events WHERE subject_user_id = $1 ORDER BY id", uuid.UUID(user_id)
        )
    return [(r["event"], str(r["actor_user_id"]) if r["actor_user_id"] else None) for r in rows]


async def first_login(http, username: str = "dana.doctor", password: str = PASSWORD) -> str:
    form = await http.get("/first-login")
    answer = await http.post("/first-login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/mfa", answer.text
    return http.cookies["atrezzo_flow_enrollment"].rsplit(".", 1)[0]


async def re_register_by_email(http, mail, email: str = EMAIL) -> str:
    """The email method through the JSON twins of /mfa; the code it was verified with."""
    for path, body, step in [("method", {"method": "email"}, "email"), ("email", {"email": email}, "email_code")]:
        view = (await http.post(f"/api/v1/mfa/{path}", json=body)).json()
        assert view["step"] == step, view
    await mail.wait_for_messages_to(email, count=2)  # the link, then the code
    code = mail.last_code_to(email)
    view = (await http.post("/api/v1/mfa/code/verify", json={"code": code})).json()
    assert view["step"] == "password", view
    done = await http.post("/api/v1/mfa/password", json={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 200 and done.json()["step"] == "done", done.text
    return code


async def test_reset_link_first_login_and_re_registration(live_app, mail):
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    dana_elsewhere = await session_token(live_app, dana)
    await remember_me_token(live_app, dana)
    before = await state_of(live_app, dana)
    assert (before["mfa_method"], before["live_sign_ins"]) == ("email", 2)

    async with await signed_in(live_app, admin) as admin_http:
        edit = await reset_by_form(admin_http, dana)
        assert "The registration has been reset." in edit and "Reset pending since" in edit
        listing = (await admin_http.get("/manage-users")).text
        assert "Reset pending since" in listing
        twin = (await admin_http.get(f"/api/v1/manage-users/{dana}")).json()
        assert (twin["mfa_method"], twin["reset"]["state"], twin["reset"]["ended_at"]) == (None, "pending", None)

    after = await state_of(live_app, dana)
    assert (after["mfa_method"], after["mfa_phone"], after["status"], after["live_sign_ins"]) == (None, None, "active", 0)
    assert after["password_hash"] == before["password_hash"]  # the password is kept for first login
    async with live_app.http() as elsewhere:
        elsewhere.cookies.set("atrezzo_session", dana_elsewhere)
        assert (await elsewhere.get("/api/v1/me")).status_code == 401

    [message] = await mail.wait_for_messages_to(EMAIL)
    assert message["subject"] == "Register your multi-factor authentication again"
    link = mail.last_link_to(EMAIL)
    query = parse_qs(urlparse(link).query)
    assert urlparse(link).path == "/admin-reset/confirm" and query["flow"] == [admin_reset_id(dana)]

    async with live_app.http() as http:
        # A forged token, or a flow id that is no admin reset, opens nothing and spends nothing.
        for forged in (f"/admin-reset/confirm?flow={query['flow'][0]}&token=not-the-token",
                       f"/admin-reset/confirm?flow=registration-{dana}&token={query['token'][0]}"):
            refused = await http.get(forged)
            assert refused.status_code == 410 and 'href="/first-login"' in refused.text
        followed = await http.get(link.replace(live_app.url, ""))
        assert followed.status_code == 303 and followed.headers["location"] == "/first-login?notice=admin_reset_link"
        assert LINK_NOTICE in (await http.get(followed.headers["location"])).text
        # The link works once, for this browser (which may open it again: the answer to its
        # first open may have been lost); anywhere else the page still points to first login.
        again = await http.get(link.replace(live_app.url, ""))
        assert again.status_code == 303 and again.headers["location"] == followed.headers["location"]
        async with live_app.http() as other:
            used = await other.get(link.replace(live_app.url, ""))
            assert used.status_code == 410 and 'href="/first-login"' in used.text
        # The mailbox alone is not enough: first login asks for the password.
        enrollment = await first_login(http)
        reset_view = await live_app.client.get_workflow_handle(admin_reset_id(dana)).query("view")
        assert reset_view["enrollment_flow"] == enrollment  # the reset's own child
        code = await re_register_by_email(http, mail)
        assert (await http.get("/api/v1/me")).json()["username"] == "dana.doctor"
    # The enrollment's last answer signed this browser in: no separate claim followed it.
    assert "claim_sign_in" not in update_names(await live_app.client.get_workflow_handle(enrollment).fetch_history())

    assert await live_app.client.get_workflow_handle(admin_reset_id(dana)).result() == "re_registered"
    assert (await state_of(live_app, dana))["mfa_method"] == "email"
    async with await signed_in(live_app, admin) as admin_http:
        assert "Re-registered on" in (await admin_http.get("/manage-users")).text
        assert (await admin_http.get(f"/api/v1/manage-users/{dana}")).json()["reset"]["state"] == "re_registered"

    events = await events_about(live_app, dana)
    assert ("admin_reset.requested", admin) in events
    for event in ("mfa.registration_cleared", "sign_ins.revoked", "admin_reset.link_clicked", "mfa.registered", "admin_reset.re_registered"):
        assert (event, None) in events, event

    # Nothing secret at rest: not the link token, the code or the passwords, in any history or table.
    codec = EncryptionCodec(live_app.settings.payload_key_ring)
    for flow_id in (admin_reset_id(dana), enrollment):
        text = await decoded_text(await live_app.client.get_workflow_handle(flow_id).fetch_history(), codec)
        assert EMAIL in text  # really decoded
        for secret in (query["token"][0], NEW_PASSWORD, PASSWORD):
            assert secret not in text, flow_id
        assert not re.search(rf"(?<!\d){code}(?!\d)", text)
    async with live_app.pool.acquire() as conn:
        stored = "\n".join(r["row"] for r in await conn.fetch("SELECT row_to_json(t)::text AS row FROM admin_resets t"))
        stored += "\n".join(r["row"] for r in await conn.fetch("SELECT row_to_json(t)::text AS row FROM audit_events t"))
    assert query["token"][0] not in stored and NEW_PASSWORD not in stored


async def test_first_login_without_the_link_joins_the_pending_reset(live_app, mail):
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    async with await signed_in(live_app, admin) as admin_http:
        answer = await admin_http.post(f"/api/v1/manage-users/{dana}/reset-registration", json={})
    assert answer.status_code == 202 and answer.json()["reset"]["state"] == "pending"
    assert answer.json()["mfa_method"] is None
    async with live_app.http() as http:
        enrollment = await first_login(http)
        reset_view = await live_app.client.get_workflow_handle(admin_reset_id(dana)).query("view")
        assert reset_view["enrollment_flow"] == enrollment
        await re_register_by_email(http, mail)
    assert await live_app.client.get_workflow_handle(admin_reset_id(dana)).result() == "re_registered"


async def test_a_second_reset_replaces_the_first_and_its_link(live_app, mail):
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    async with await signed_in(live_app, admin) as admin_http:
        first = await admin_http.post(f"/api/v1/manage-users/{dana}/reset-registration", json={})
        assert first.status_code == 202
        [_] = await mail.wait_for_messages_to(EMAIL)
        first_link = mail.last_link_to(EMAIL)
        second = await admin_http.post(f"/api/v1/manage-users/{dana}/reset-registration", json={})
        assert second.status_code == 202 and second.json()["reset"]["state"] == "pending"
        await mail.wait_for_messages_to(EMAIL, count=2)
        second_link = mail.last_link_to(EMAIL)
    assert first_link != second_link

    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch("SELECT state, run_id FROM admin_resets WHERE user_id = $1 ORDER BY id", uuid.UUID(dana))
    assert [r["state"] for r in rows] == ["restarted", "pending"]
    # One flow for the user: the first run went on as the second.
    first_run = live_app.client.get_workflow_handle(admin_reset_id(dana), run_id=rows[0]["run_id"])
    assert (await first_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

    async with live_app.http() as http:
        refused = await http.get(first_link.replace(live_app.url, ""))
        assert refused.status_code == 410 and "has expired or has already been used" in refused.text
        accepted = await http.get(second_link.replace(live_app.url, ""))
        assert accepted.status_code == 303 and accepted.headers["location"].startswith("/first-login")
    handle = live_app.client.get_workflow_handle(admin_reset_id(dana))
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def test_after_an_operator_cancels_the_reset_first_login_still_works(live_app, mail):
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    async with await signed_in(live_app, admin) as admin_http:
        assert (await admin_http.post(f"/api/v1/manage-users/{dana}/reset-registration", json={})).status_code == 202
        await mail.wait_for_messages_to(EMAIL)
        handle = live_app.client.get_workflow_handle(admin_reset_id(dana))
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
        twin = (await admin_http.get(f"/api/v1/manage-users/{dana}")).json()
        assert (twin["mfa_method"], twin["reset"]["state"]) == (None, "cancelled")
        assert "Reset cancelled on" in (await admin_http.get("/manage-users")).text

    async with live_app.http() as http:
        expired = await http.get(mail.last_link_to(EMAIL).replace(live_app.url, ""))
        assert expired.status_code == 410 and 'href="/first-login"' in expired.text
        enrollment = await first_login(http)  # MFA stays cleared: the plain first login enrolls
        assert enrollment.startswith("enrollment-")
        view = await live_app.client.get_workflow_handle(enrollment).query("view")
        assert view["purpose"] == "existing_user"
    assert ("admin_reset.cancelled", None) in await events_about(live_app, dana)

"""SETUP → Manage Users against the real stack: who sees whom, the pages and their JSON twins,
and the 403 (with its audit entry) for everything an administrator may not touch."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.provider_admins import PASSWORD, PROVIDER_A, PROVIDER_B, also_member, member, signed_in

FORBIDDEN = "You do not have permission to manage this user."


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def denials(live_app) -> list[tuple[str | None, str, str]]:
    async with live_app.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT actor_user_id, detail FROM audit_events WHERE event = 'manage_users.denied' ORDER BY id"
        )
    return [(str(r["actor_user_id"]), r["detail"]["requested_id"], r["detail"]["reason"]) for r in rows]


async def admin_resets(live_app) -> int:
    async with live_app.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM admin_resets")


@pytest.fixture
async def scene(live_app):
    """Provider A: an admin and Dana; provider B: its admin and Bo."""
    admin = await member(live_app.pool, "ada.admin", admin=True, first_name="Ada", last_name="Admin")
    dana = await member(live_app.pool, "dana.doctor")
    other_admin = await member(live_app.pool, "bea.boss", of=PROVIDER_B, admin=True, first_name="Bea", last_name="Boss")
    bo = await member(live_app.pool, "bo.b", of=PROVIDER_B, method="phone", first_name="Bo", last_name="Bee")
    return {"admin": admin, "dana": dana, "other_admin": other_admin, "bo": bo}


async def test_the_admin_sees_the_users_of_their_own_provider_only(live_app, scene):
    async with await signed_in(live_app, scene["admin"]) as http:
        listing = (await http.get("/api/v1/manage-users")).json()
        page = await http.get("/manage-users")
    [provider] = listing["providers"]
    assert (provider["npi"], provider["name"]) == PROVIDER_A
    users = {u["username"]: u for u in provider["users"]}
    assert set(users) == {"ada.admin", "dana.doctor"}
    assert users["dana.doctor"] | {"id": ""} == {
        "id": "", "username": "dana.doctor", "first_name": "Dana", "last_name": "Doctor",
        "email": "d*******@example.com", "status": "active", "mfa_method": "email", "is_admin": False,
        "is_you": False, "resettable": True, "reset": None,
    }
    assert users["ada.admin"]["is_you"] is True
    assert "<h1>Manage Users</h1>" in page.text and "dana.doctor" in page.text and "bo.b" not in page.text
    assert "<summary>Dana Doctor (dana.doctor)</summary>" in page.text
    # One pencil, for Dana: the admin does not reset themselves.
    assert page.text.count('aria-label="Edit"') == 1
    assert f'href="/manage-users/{scene["dana"]}"' in page.text


async def test_an_admin_of_two_providers_sees_both_grouped(live_app, scene):
    await also_member(live_app.pool, scene["admin"], PROVIDER_B, admin=True)
    async with await signed_in(live_app, scene["admin"]) as http:
        listing = (await http.get("/api/v1/manage-users")).json()
    grouped = {p["npi"]: sorted(u["username"] for u in p["users"]) for p in listing["providers"]}
    assert grouped == {
        PROVIDER_A[0]: ["ada.admin", "dana.doctor"],
        PROVIDER_B[0]: ["ada.admin", "bea.boss", "bo.b"],
    }


async def test_home_offers_setup_to_admins_only(live_app, scene):
    async with await signed_in(live_app, scene["admin"]) as http:
        admin_home = (await http.get("/home")).text
    async with await signed_in(live_app, scene["dana"]) as http:
        user_home = (await http.get("/home")).text
    assert "<summary>SETUP</summary>" in admin_home and '<a href="/manage-users">Manage Users</a>' in admin_home
    assert "SETUP" not in user_home and "/manage-users" not in user_home


async def test_the_edit_page_and_its_confirmation(live_app, scene):
    async with await signed_in(live_app, scene["admin"]) as http:
        edit = await http.get(f"/manage-users/{scene['dana']}")
        twin = (await http.get(f"/api/v1/manage-users/{scene['dana']}")).json()
        confirm = await http.get(f"/manage-users/{scene['dana']}/reset-registration")
    assert edit.status_code == 200 and "<h1>Edit User</h1>" in edit.text
    assert ">Reset Registration</button>" in edit.text and "No reset requested" in edit.text
    assert (twin["username"], twin["mfa_method"], twin["reset"]) == ("dana.doctor", "email", None)
    assert confirm.status_code == 200 and ">Confirm Reset Registration</button>" in confirm.text
    assert 'name="csrf_token"' in confirm.text
    assert await admin_resets(live_app) == 0  # looking changes nothing


async def test_another_providers_user_unknown_and_malformed_ids_are_one_403(live_app, scene):
    admin = scene["admin"]
    unknown = str(uuid.uuid4())
    targets = [(scene["bo"], "not_managed"), (unknown, "not_managed"), ("not-a-uuid", "malformed_id"), (admin, "self")]
    answers = []
    async with await signed_in(live_app, admin) as http:
        for target, _ in targets:
            answers.append(await http.get(f"/api/v1/manage-users/{target}"))
            answers.append(await http.post(f"/api/v1/manage-users/{target}/reset-registration", json={}))
            answers.append(await http.get(f"/manage-users/{target}"))
            answers.append(await http.get(f"/manage-users/{target}/reset-registration"))
            form = await http.post(
                f"/manage-users/{target}/reset-registration", data={"csrf_token": csrf_of(await _any_form(http, scene))}
            )
            answers.append(form)
    assert {a.status_code for a in answers} == {403}
    assert {a.json()["detail"] for a in answers if a.headers["content-type"].startswith("application/json")} == {FORBIDDEN}
    assert all(FORBIDDEN in a.text for a in answers)
    expected = [(admin, target, reason) for target, reason in targets for _ in range(5)]
    assert await denials(live_app) == expected
    assert await admin_resets(live_app) == 0
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT mfa_method FROM users WHERE id = $1", uuid.UUID(scene["bo"])) == "phone"


async def _any_form(http, scene) -> str:
    """A page with a CSRF token for this browser (the forged request is otherwise well-formed)."""
    return (await http.get(f"/manage-users/{scene['dana']}/reset-registration")).text


async def test_a_non_admin_gets_403_everywhere(live_app, scene):
    dana = scene["dana"]
    async with await signed_in(live_app, dana) as http:
        answers = [
            await http.get("/manage-users"),
            await http.get("/api/v1/manage-users"),
            await http.get(f"/api/v1/manage-users/{scene['admin']}"),
            await http.post(f"/api/v1/manage-users/{scene['admin']}/reset-registration", json={}),
        ]
    assert [a.status_code for a in answers] == [403] * 4
    assert await denials(live_app) == [
        (dana, "", "not_admin"), (dana, "", "not_admin"), (dana, scene["admin"], "not_admin"), (dana, scene["admin"], "not_admin"),
    ]


async def test_signed_out_is_sent_to_log_in(live_app, scene):
    async with live_app.http() as http:
        page = await http.get("/manage-users", follow_redirects=False)
        api = await http.get("/api/v1/manage-users")
    assert page.status_code == 303 and page.headers["location"] == "/"
    assert api.status_code == 401


async def test_the_reset_needs_csrf_and_json(live_app, scene):
    target = scene["dana"]
    async with await signed_in(live_app, scene["admin"]) as http:
        no_token = await http.post(f"/manage-users/{target}/reset-registration", data={})
        form_to_api = await http.post(f"/api/v1/manage-users/{target}/reset-registration", data={"x": "1"})
    assert no_token.status_code == 403 and "Your session has expired" in no_token.text
    assert form_to_api.status_code == 415
    assert await admin_resets(live_app) == 0


async def test_a_user_who_never_finished_registering_has_nothing_to_reset(live_app, scene):
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'pending', mfa_method = NULL WHERE id = $1", uuid.UUID(scene["dana"]))
    async with await signed_in(live_app, scene["admin"]) as http:
        refused = await http.post(f"/api/v1/manage-users/{scene['dana']}/reset-registration", json={})
        edit = await http.get(f"/manage-users/{scene['dana']}")
    assert refused.status_code == 409 and "Having trouble logging in?" in refused.json()["detail"]
    assert ">Reset Registration</button>" not in edit.text
    assert await admin_resets(live_app) == 0


# --- whom an administrator may reset ------------------------------------------------------------
async def test_staff_and_users_of_a_provider_they_do_not_administer_are_not_theirs_to_reset(live_app, scene):
    staff = await member(live_app.pool, "sam.support", first_name="Sam", last_name="Support")
    shared = await member(live_app.pool, "cy.shared", first_name="Cy", last_name="Shared")
    await also_member(live_app.pool, shared, PROVIDER_B)
    async with live_app.pool.acquire() as conn:
        await conn.execute("UPDATE users SET is_staff = true WHERE id = $1", uuid.UUID(staff))
    async with await signed_in(live_app, scene["admin"]) as http:
        for user_id in (staff, shared):
            page = await http.get(f"/manage-users/{user_id}")
            assert page.status_code == 200 and ">Reset Registration</button>" not in page.text
            assert "please ask Atrezzo support" in page.text
            refused = await http.post(f"/api/v1/manage-users/{user_id}/reset-registration", json={})
            assert refused.status_code == 403 and "ask Atrezzo support" in refused.json()["detail"]
        listed = (await http.get("/api/v1/manage-users")).json()
    resettable = {u["username"]: u["resettable"] for p in listed["providers"] for u in p["users"]}
    assert resettable == {"ada.admin": True, "dana.doctor": True, "sam.support": False, "cy.shared": False}
    assert await admin_resets(live_app) == 0
    assert [reason for _, _, reason in await denials(live_app)] == ["not_resettable"] * 2


async def test_resetting_another_administrator_asks_for_your_own_password_again(live_app, scene):
    other = await member(live_app.pool, "abe.admin", admin=True, first_name="Abe", last_name="Admin")
    async with await signed_in(live_app, scene["admin"]) as http:
        confirm = await http.get(f"/manage-users/{other}/reset-registration")
        assert '<label for="password">Your Password</label>' in confirm.text
        csrf = csrf_of(confirm.text)
        missing = await http.post(f"/manage-users/{other}/reset-registration", data={"csrf_token": csrf})
        assert missing.status_code == 422 and "enter your own password" in missing.text
        wrong = await http.post(f"/manage-users/{other}/reset-registration", data={"csrf_token": csrf, "password": "not-mine"})
        assert wrong.status_code == 422 and "Your password is incorrect." in wrong.text
        assert await admin_resets(live_app) == 0
        api = await http.post(f"/api/v1/manage-users/{other}/reset-registration", json={"password": PASSWORD})
        assert api.status_code == 202, api.text
    assert await admin_resets(live_app) == 1

"""The staff sign-in's database step against a real PostgreSQL: the provider's identity finds
its account by (issuer, subject), links an existing one by verified email only once, or makes
one without portal roles; mapped groups grant roles; a disabled account, or an address linked
to another person at the provider, does not sign in; every outcome is audited once."""

from __future__ import annotations

import dataclasses
import uuid

from activities.postgres_staff import StaffAccountActivities
from tests.activities.test_postgres import events, run
from tests.support.enrolled_users import DEMO_PROVIDER, add_user
from domain.staff_identity import StaffIdentity
from store.users import grant_staff

ISSUER = "https://login.kepro.example"
PAT = StaffIdentity(ISSUER, "sub-pat", "pat.staff@kepro.com", "Pat", "Staff", "Pat Staff", ("kepro-staff",))


def staff(pool, *group_roles: tuple[str, str, str]) -> StaffAccountActivities:
    return StaffAccountActivities(pool, list(group_roles))


async def user_row(pool, account_id: str):
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", uuid.UUID(account_id))


async def test_a_first_sign_in_makes_an_account_without_portal_roles_then_finds_it(pool):
    first = await run(staff(pool).staff_account, PAT, flow="staff_login-1")
    row = await user_row(pool, first.account_id)
    assert (row["username"], row["first_name"], row["last_name"], row["email"]) == ("pat.staff", "Pat", "Staff", "pat.staff@kepro.com")
    assert (row["status"], row["password_hash"], row["is_staff"], row["mfa_method"]) == ("active", None, False, None)
    assert row["email_verified_at"] is not None
    # The provider changed the address: the subject still names the same person.
    moved = dataclasses.replace(PAT, email="pat.s@kepro.com")
    again = await run(staff(pool).staff_account, moved, flow="staff_login-2")
    assert again.account_id == first.account_id
    signed_in = await events(pool, "staff.signed_in")
    assert [(e["subject_user_id"], e["detail"]["account"]) for e in signed_in] == [
        (uuid.UUID(first.account_id), "created"), (uuid.UUID(first.account_id), "linked")
    ]


async def test_a_taken_username_gets_the_next_free_one(pool):
    await add_user(pool, "email", username="pat.staff", email="pat.staff@example.com")
    made = await run(staff(pool).staff_account, PAT)
    assert (await user_row(pool, made.account_id))["username"] == "pat.staff-2"


async def test_an_existing_account_with_the_verified_address_is_linked_and_loses_its_portal_password(pool):
    existing = await add_user(pool, "email", username="pat", email="Pat.Staff@kepro.com")
    linked = await run(staff(pool).staff_account, PAT)
    assert linked.account_id == existing
    row = await user_row(pool, existing)
    assert (row["password_hash"], row["username"], row["status"]) == (None, "pat", "active")
    assert [e["detail"]["account"] for e in await events(pool, "staff.signed_in")] == ["linked now"]


async def test_an_address_linked_to_another_person_at_the_provider_is_refused(pool):
    first = await run(staff(pool).staff_account, PAT)
    newcomer = dataclasses.replace(PAT, subject="sub-someone-else")
    refused = await run(staff(pool).staff_account, newcomer)
    assert (refused.account_id, refused.refusal) == ("", "other_identity")
    [audited] = await events(pool, "staff.sign_in_refused")
    assert (audited["subject_user_id"], audited["detail"]["reason"]) == (uuid.UUID(first.account_id), "other_identity")


async def test_a_disabled_account_does_not_sign_in(pool):
    made = await run(staff(pool).staff_account, PAT)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(made.account_id))
    assert (await run(staff(pool).staff_account, PAT)).refusal == "disabled"


async def admin_of(pool, account_id: str) -> bool:
    async with pool.acquire() as conn:
        return bool(await conn.fetchval(
            "SELECT m.is_admin FROM provider_members m JOIN providers p ON p.id = m.provider_id "
            "WHERE m.user_id = $1 AND p.npi = $2", uuid.UUID(account_id), DEMO_PROVIDER[0]))


async def test_mapped_groups_decide_their_roles_at_every_sign_in(pool):
    await add_user(pool, "email", username="clinic.admin", email="clinic.admin@example.com")  # makes the provider
    roles = (("kepro-staff", "staff", ""), ("kepro-admins", "provider_admin", DEMO_PROVIDER[0]))
    activities = staff(pool, *roles)
    made = await run(activities.staff_account, dataclasses.replace(PAT, groups=("kepro-staff", "kepro-admins")))
    assert (await user_row(pool, made.account_id))["is_staff"] is True and await admin_of(pool, made.account_id)
    # Left kepro-admins at the provider: that role goes at the next sign-in, the other stays.
    await run(activities.staff_account, dataclasses.replace(PAT, groups=("kepro-staff",)))
    assert (await user_row(pool, made.account_id))["is_staff"] is True and not await admin_of(pool, made.account_id)
    first, second = await events(pool, "staff.signed_in")
    assert (first["detail"]["granted"], second["detail"]["revoked"]) == (["staff", f"provider_admin:{DEMO_PROVIDER[0]}"],
                                                                         [f"provider_admin:{DEMO_PROVIDER[0]}"])


async def test_a_role_no_group_maps_stays_as_the_cli_set_it(pool):
    made = await run(staff(pool).staff_account, PAT)
    async with pool.acquire() as conn:
        await grant_staff(conn, "pat.staff")
    only_admins_mapped = staff(pool, ("kepro-admins", "provider_admin", DEMO_PROVIDER[0]))
    await run(only_admins_mapped.staff_account, dataclasses.replace(PAT, groups=()))
    assert (await user_row(pool, made.account_id))["is_staff"] is True


async def test_a_retried_step_audits_once(pool):
    activity_id = uuid.uuid4().hex
    for attempt in (1, 2):
        await run(staff(pool).staff_account, PAT, flow="staff_login-1", activity_id=activity_id, attempt=attempt)
    [once] = await events(pool, "staff.signed_in")
    assert once["detail"]["account"] == "created"

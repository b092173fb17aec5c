"""Passkeys against a real PostgreSQL (activities/postgres_passkeys.py), on answers a software
passkey makes: a new one saved as the method, a sign-in's answer checked once against the
saved key and counter, its own retry after a crash not refused, another account's passkey and
a replayed answer refused, and the admin reset's clearing."""

from __future__ import annotations

import json
import uuid

from webauthn.helpers import bytes_to_base64url

from activities.contracts import PASSKEY_REFUSED, PASSKEY_VERIFIED, PasskeyAnswer
from activities.postgres_passkeys import PasskeyActivities
from domain import digests, passkeys
from store import admin_resets
from tests.activities.test_postgres import events, run
from tests.support.enrolled_users import add_user
from tests.support.soft_passkey import SoftPasskey

SECRET_KEY = "passkey activity test key"
BASE_URL = "http://localhost:8000"
RP = passkeys.RelyingParty.of(BASE_URL)
CHALLENGES = digests.derive_key(SECRET_KEY, passkeys.CHALLENGE_KEY)


def activities(pool) -> PasskeyActivities:
    return PasskeyActivities(pool, SECRET_KEY, BASE_URL)


def creation(account_id: str, flow: str, ceremony: int = 0) -> str:
    challenge = passkeys.challenge(CHALLENGES, flow, ceremony)
    return passkeys.creation_options(RP, challenge, uuid.UUID(account_id).bytes, "pat", "Pat", [])


def request(device: SoftPasskey, flow: str, ceremony: int = 0) -> str:
    return passkeys.request_options(RP, passkeys.challenge(CHALLENGES, flow, ceremony), [device.credential_id])


async def registered(pool, account_id: str, device: SoftPasskey, **attempt) -> str:
    flow = "enrollment-1"
    new = PasskeyAnswer(account_id, 0, device.create(creation(account_id, flow)), name="Work laptop", as_method=True)
    return await run(activities(pool).register_passkey, new, flow=flow, **attempt)


async def passkey_rows(pool, account_id: str) -> list:
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM passkeys WHERE user_id = $1", uuid.UUID(account_id))


async def test_a_new_passkey_is_saved_as_the_method_once(pool):
    account = await add_user(pool, None)
    device = SoftPasskey(RP.origin)
    assert await registered(pool, account, device, activity_id="register-1") == PASSKEY_VERIFIED
    assert await registered(pool, account, device, activity_id="register-1", attempt=2) == PASSKEY_VERIFIED  # its retry
    [row] = await passkey_rows(pool, account)
    assert (bytes(row["credential_id"]), row["name"], row["sign_count"], row["transports"]) == (
        device.credential_id, "Work laptop", 0, ["internal"]
    )
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT mfa_method FROM users WHERE id = $1", uuid.UUID(account)) == "passkey"
    assert [e["detail"]["method"] for e in await events(pool, "mfa.registered")] == ["passkey"]
    # The same authenticator's credential cannot be registered to someone else.
    other = await add_user(pool, None, username="other", email="other@example.com")
    assert await registered(pool, other, device) == PASSKEY_REFUSED
    assert await passkey_rows(pool, other) == []


async def test_an_answer_that_fails_its_checks_is_refused_and_audited(pool):
    account = await add_user(pool, None)
    flow = "enrollment-2"
    wrong_ceremony = PasskeyAnswer(account, 1, SoftPasskey(RP.origin).create(creation(account, flow, 0)), as_method=True)
    assert await run(activities(pool).register_passkey, wrong_ceremony, flow=flow) == PASSKEY_REFUSED
    garbage = PasskeyAnswer(account, 0, '{"id": "x"}', as_method=True)
    assert await run(activities(pool).register_passkey, garbage, flow=flow) == PASSKEY_REFUSED
    assert [e["detail"]["reason"] for e in await events(pool, "mfa.passkey_refused")] == [
        "InvalidRegistrationResponse", "InvalidJSONStructure"
    ]
    assert await passkey_rows(pool, account) == []


async def test_a_sign_in_is_checked_against_the_saved_key_and_counter(pool):
    account = await add_user(pool, None)
    device = SoftPasskey(RP.origin)
    await registered(pool, account, device)
    answer = device.get(request(device, "login-1"))
    use = PasskeyAnswer(account, 0, answer)
    assert await run(activities(pool).check_passkey, use, flow="login-1", activity_id="check-1") == PASSKEY_VERIFIED
    assert await run(activities(pool).check_passkey, use, flow="login-1", activity_id="check-1", attempt=2) == PASSKEY_VERIFIED
    [row] = await passkey_rows(pool, account)
    assert (row["sign_count"], row["last_used_at"] is not None) == (1, True)
    # The same answer, checked anew: the counter did not move on.
    assert await run(activities(pool).check_passkey, use, flow="login-1") == PASSKEY_REFUSED
    # Signed for another login's challenge.
    elsewhere = PasskeyAnswer(account, 0, device.get(request(device, "login-2")))
    assert await run(activities(pool).check_passkey, elsewhere, flow="login-3") == PASSKEY_REFUSED
    assert len(await events(pool, "login.passkey_used")) == 1
    assert len(await events(pool, "login.passkey_refused")) == 2


async def test_another_account_s_passkey_does_not_sign_in(pool):
    owner = await add_user(pool, None)
    device = SoftPasskey(RP.origin)
    await registered(pool, owner, device)
    other = await add_user(pool, "email", username="other", email="other@example.com")
    use = PasskeyAnswer(other, 0, device.get(request(device, "login-4")))
    assert await run(activities(pool).check_passkey, use, flow="login-4") == PASSKEY_REFUSED


async def test_the_admin_reset_clears_the_passkeys(pool):
    account = await add_user(pool, None)
    await registered(pool, account, SoftPasskey(RP.origin))
    async with pool.acquire() as conn:
        assert await admin_resets.clear_mfa(conn, uuid.UUID(account))
    assert await passkey_rows(pool, account) == []


def anyone(flow: str, ceremony: int = 0) -> str:
    return passkeys.request_options(RP, passkeys.challenge(CHALLENGES, flow, ceremony), [])


async def test_a_passkey_alone_names_its_active_owner(pool):
    account = await add_user(pool, None)
    device = SoftPasskey(RP.origin)
    await registered(pool, account, device)
    first = PasskeyAnswer("", 0, device.get(anyone("passkey_login-1")))
    owner = await run(activities(pool).check_passkey_first, first, flow="passkey_login-1", activity_id="first-1")
    assert owner.account_id == account
    again = await run(activities(pool).check_passkey_first, first, flow="passkey_login-1", activity_id="first-1", attempt=2)
    assert again.account_id == account  # its own retry
    # Replayed by another step: the counter did not move on.
    assert (await run(activities(pool).check_passkey_first, first, flow="passkey_login-1")).account_id == ""
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET status = 'disabled' WHERE id = $1", uuid.UUID(account))
    disabled = PasskeyAnswer("", 0, device.get(anyone("passkey_login-2")))
    assert (await run(activities(pool).check_passkey_first, disabled, flow="passkey_login-2")).account_id == ""


async def test_an_answer_whose_user_handle_names_another_account_is_refused(pool):
    account = await add_user(pool, None)
    device = SoftPasskey(RP.origin)
    await registered(pool, account, device)
    answer = json.loads(device.get(anyone("passkey_login-3")))
    answer["response"]["userHandle"] = bytes_to_base64url(uuid.uuid4().bytes)
    use = PasskeyAnswer("", 0, json.dumps(answer))
    assert (await run(activities(pool).check_passkey_first, use, flow="passkey_login-3")).account_id == ""
    assert [e["detail"]["reason"] for e in await events(pool, "login.passkey_refused")] == ["ValueError"]

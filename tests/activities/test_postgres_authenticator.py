"""The authenticator app and recovery codes against a real PostgreSQL
(activities/postgres_authenticator.py): a sealed secret, its first code confirming it as the
method, a code taken once (also when two arrive at once), a retry after a crash not refused,
a setup left half way not breaking the app in use, recovery codes spent once, and the admin
reset's clearing."""

from __future__ import annotations

import asyncio
import time
import uuid

import pyotp
import pytest
from cryptography.exceptions import InvalidTag

from activities.contracts import APP_CODE_USED, APP_CODE_VERIFIED, APP_CODE_WRONG, AppCode, RecoveryCode
from activities.postgres_authenticator import AuthenticatorActivities
from domain import authenticator_app, digests, recovery_codes
from store import admin_resets
from store import recovery_codes as stored_codes
from tests.activities.test_postgres import events, run
from tests.support.enrolled_users import add_app_user, add_user

SECRET_KEY = "authenticator activity test key"
FLOW = "login-1"
CODE_KEY = digests.derive_key(SECRET_KEY, digests.CODE_KEY)
RECOVERY_KEY = digests.derive_key(SECRET_KEY, recovery_codes.DIGEST_KEY)


def typed(account_id: str, code: str, *, flow: str = FLOW, setting_up: bool = False) -> AppCode:
    return AppCode(account_id, digests.code_digest(CODE_KEY, flow, code), setting_up=setting_up)


async def check(apps, account_id: str, code: str, *, flow: str = FLOW, setting_up: bool = False, **attempt) -> str:
    """One check of ``code`` typed in ``flow``: its digest is bound to that flow, as the edge makes it."""
    return await run(apps.check_app_code, typed(account_id, code, flow=flow, setting_up=setting_up), flow=flow, **attempt)


def other_than(code: str) -> str:
    return f"{(int(code) + 500000) % 1000000:06d}"


async def app_row(pool, account_id: str):
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM authenticator_apps WHERE user_id = $1", uuid.UUID(account_id))


async def pending_secret(pool, account_id: str) -> str:
    key = digests.derive_key(SECRET_KEY, authenticator_app.SEAL_KEY)
    return authenticator_app.unseal(key, account_id, (await app_row(pool, account_id))["pending_sealed"])


async def test_a_staged_secret_is_sealed_and_its_first_code_makes_the_app_the_method(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account = await add_user(pool, None)
    await run(apps.stage_authenticator_app, account, flow="enrollment-1")
    secret = await pending_secret(pool, account)
    row = await app_row(pool, account)
    assert secret.encode() not in bytes(row["pending_sealed"]) and row["secret_sealed"] is None
    code = pyotp.TOTP(secret).now()
    assert await check(apps, account, other_than(code), flow="enrollment-1", setting_up=True) == APP_CODE_WRONG
    assert await check(apps, account, code, flow="enrollment-1", setting_up=True, activity_id="confirm-1") == APP_CODE_VERIFIED
    # Its worker died after the commit: the retry finds the app confirmed by itself, not a wrong code.
    retried = await check(apps, account, code, flow="enrollment-1", setting_up=True, activity_id="confirm-1", attempt=2)
    assert retried == APP_CODE_VERIFIED
    row = await app_row(pool, account)
    assert (row["pending_sealed"], row["confirmed_at"] is not None) == (None, True)
    async with pool.acquire() as conn:
        user = await conn.fetchrow("SELECT mfa_method, status FROM users WHERE id = $1", uuid.UUID(account))
    assert (user["mfa_method"], user["status"]) == ("app", "active")
    assert [e["detail"]["method"] for e in await events(pool, "mfa.registered")] == ["app"]
    # The code that confirmed the app is spent: it does not also sign in.
    assert await check(apps, account, code) == APP_CODE_USED


async def test_a_code_is_taken_once_and_its_own_retry_is_not_refused(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account, secret = await add_app_user(pool, SECRET_KEY)
    code = pyotp.TOTP(secret).now()
    assert await check(apps, account, code, activity_id="check-1") == APP_CODE_VERIFIED
    # Its worker died after the commit: the retry of the same activity passes.
    assert await check(apps, account, code, activity_id="check-1", attempt=2) == APP_CODE_VERIFIED
    # Another login with the same code does not.
    assert await check(apps, account, code, flow="login-2") == APP_CODE_USED
    # Nor does the code of the step before (still inside the window).
    before = authenticator_app.code_at(secret, authenticator_app.step_at(time.time()) - 1)
    assert await check(apps, account, before, flow="login-3") == APP_CODE_USED
    assert len(await events(pool, "login.app_code_used")) == 1
    assert len(await events(pool, "login.app_code_reused")) == 2


async def test_two_logins_with_the_same_code_at_once_sign_in_one(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account, secret = await add_app_user(pool, SECRET_KEY)
    code = pyotp.TOTP(secret).now()
    flows = [f"login-race-{n}" for n in range(6)]
    results = await asyncio.gather(*(check(apps, account, code, flow=f) for f in flows))
    assert sorted(results) == sorted([APP_CODE_VERIFIED] + [APP_CODE_USED] * 5)


async def test_codes_outside_the_window_and_of_other_accounts_are_wrong(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account, secret = await add_app_user(pool, SECRET_KEY)
    other, other_secret = await add_app_user(pool, SECRET_KEY, username="other", email="other@example.com")
    now = authenticator_app.step_at(time.time())
    stale = authenticator_app.code_at(secret, now - 3)
    assert await check(apps, account, stale) == APP_CODE_WRONG
    assert await check(apps, account, pyotp.TOTP(other_secret).now()) == APP_CODE_WRONG
    # A sealed secret copied onto another account's row does not open there.
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE authenticator_apps SET secret_sealed = (SELECT secret_sealed FROM authenticator_apps WHERE user_id = $1) "
            "WHERE user_id = $2", uuid.UUID(account), uuid.UUID(other),
        )
    # The seal's tag does not match: the check fails, nothing passes.
    with pytest.raises(InvalidTag):
        await check(apps, other, pyotp.TOTP(secret).now())


async def test_a_setup_left_half_way_keeps_the_app_in_use(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account, secret = await add_app_user(pool, SECRET_KEY)
    await run(apps.stage_authenticator_app, account, flow="enrollment-2")
    new_code = pyotp.TOTP(await pending_secret(pool, account)).now()
    if new_code != pyotp.TOTP(secret).now():  # one chance in a million they agree
        assert await check(apps, account, new_code) == APP_CODE_WRONG
    assert await check(apps, account, pyotp.TOTP(secret).now()) == APP_CODE_VERIFIED


async def test_a_recovery_code_is_spent_once(pool):
    apps = AuthenticatorActivities(pool, SECRET_KEY)
    account = await add_user(pool, "email")
    codes = recovery_codes.new_codes()
    async with pool.acquire() as conn:
        await stored_codes.replace(conn, uuid.UUID(account), [recovery_codes.digest(RECOVERY_KEY, account, c) for c in codes])
    used = RecoveryCode(account, recovery_codes.digest(RECOVERY_KEY, account, codes[0]))
    first = await run(apps.use_recovery_code, used, activity_id="use-1")
    assert (first.accepted, first.left) == (True, 9)
    assert (await run(apps.use_recovery_code, used, activity_id="use-1", attempt=2)).accepted  # its own retry
    assert not (await run(apps.use_recovery_code, used, flow="login-2")).accepted
    # Two logins with the next code at once: one of them.
    second = RecoveryCode(account, recovery_codes.digest(RECOVERY_KEY, account, codes[1]))
    results = await asyncio.gather(*(run(apps.use_recovery_code, second, flow=f"login-r{n}") for n in range(4)))
    assert sorted(r.accepted for r in results) == [False, False, False, True]
    assert [e["detail"]["left"] for e in await events(pool, "login.recovery_code_used")] == ["9", "8"]
    async with pool.acquire() as conn:
        stored = await conn.fetch("SELECT code_digest FROM recovery_codes WHERE user_id = $1", uuid.UUID(account))
    assert not {c.replace("-", "") for c in codes} & {r["code_digest"].upper() for r in stored}


async def test_the_admin_reset_clears_the_app_and_the_codes(pool):
    account, _ = await add_app_user(pool, SECRET_KEY)
    async with pool.acquire() as conn:
        await stored_codes.replace(conn, uuid.UUID(account), ["a" * 64])
        assert await admin_resets.clear_mfa(conn, uuid.UUID(account))
        left = await stored_codes.left(conn, uuid.UUID(account))
        app = await conn.fetchval("SELECT count(*) FROM authenticator_apps WHERE user_id = $1", uuid.UUID(account))
        method = await conn.fetchval("SELECT mfa_method FROM users WHERE id = $1", uuid.UUID(account))
    assert (left.issued, app, method) == (0, 0, None)

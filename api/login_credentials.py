"""The password half of Login with Phone / Login with Email, checked at the edge so the
password never reaches a workflow.

From outside, every failure looks the same: an unknown email, a wrong password, a disabled
account and a locked key all give None, and each costs one argon2 verification (a dummy
one when there is no account). Failures count per typed email and per client, smart-lockout
style (store.throttles: 10 failures lock for a minute, each later lock twice as long).
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.client_address import client_ip
from api.throttling import count_failure, lockout
from domain.email import normalise_email
from domain.errors import FieldError
from domain.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from store import audit, throttles
from store.accounts import Account, account_by_email, rehash_password

FAILURE_LIMIT = 10
FAILURE_WINDOW = timedelta(minutes=15)
# Longer than any address the database accepts: longer input matches no account, and the
# throttle key stays bounded.
_TYPED_EMAIL_MAX = 320
# Pending accounts may sign in as far as being told to finish their registration.
_MAY_SIGN_IN = ("active", "pending")


def throttle_keys(request: Request, typed_email: str) -> list[str]:
    try:
        email = normalise_email(typed_email)
    except FieldError:
        email = typed_email.strip()[:_TYPED_EMAIL_MAX]
    ip = client_ip(request)
    return [f"login:email:{email.casefold()}"] + ([f"login:ip:{ip}"] if ip else [])


async def check_credentials(request: Request, pool: asyncpg.Pool, typed_email: str, password: str, option: str) -> Account | None:
    """The account this email and password open, or None for every kind of failure."""
    keys = throttle_keys(request, typed_email)
    async with pool.acquire() as conn:
        locked = await lockout(conn, keys) is not None
        account = None if locked else await _lookup(conn, typed_email)
    hashed = account.password_hash if account is not None else None
    matches = await run_in_threadpool(_password_matches, hashed, password)
    if matches and account is not None and account.status in _MAY_SIGN_IN:
        async with pool.acquire() as conn:
            await throttles.clear(conn, keys[0])
        if hashed and needs_rehash(hashed):
            await _rehash(pool, account, hashed, password)
        return account
    await _count_failure(request, pool, keys, account, option, "locked" if locked else "credentials")
    return None


async def _lookup(conn: asyncpg.Connection, typed_email: str) -> Account | None:
    try:
        return await account_by_email(conn, normalise_email(typed_email))
    except FieldError:
        return None


def _password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        dummy_verify()
        return False
    return verify_password(password_hash, password)


async def _rehash(pool: asyncpg.Pool, account: Account, old_hash: str, password: str) -> None:
    new_hash = await run_in_threadpool(hash_password, password)
    async with pool.acquire() as conn, conn.transaction():
        if await rehash_password(conn, account.id, old_hash, new_hash):
            await audit.record(conn, "login.password_rehashed", subject=account.id)


async def _count_failure(
    request: Request, pool: asyncpg.Pool, keys: list[str], account: Account | None, option: str, reason: str
) -> None:
    subject = account.id if account is not None else None
    ip = client_ip(request)
    async with pool.acquire() as conn, conn.transaction():
        # Attempts during a lock are refused unchecked and not counted (store.throttles).
        lock = await count_failure(conn, keys, limit=FAILURE_LIMIT, window=FAILURE_WINDOW)
        await audit.record(
            conn, "login.failed", subject=subject, client_ip=ip, detail={"option": option, "reason": reason}
        )
        if lock is not None:
            detail = {"option": option, "seconds": int(lock.total_seconds())}
            await audit.record(conn, "login.locked_out", subject=subject, client_ip=ip, detail=detail)

"""The password half of Login with Phone / Login with Email, checked at the edge so the
password never reaches a workflow.

From outside, every failure looks the same: an unknown email, a wrong password and a disabled
account all give None, and each costs one argon2 verification (a dummy one when there is no
account). Each try is reserved before it is checked (api.throttling, policy "login"): the typed
email from one client locks after 10 tries, the client and the email are slowed down beyond
theirs; a refused try raises Throttled without being checked, the same for every address.
"""

from __future__ import annotations

import asyncpg
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.client_address import client_ip
from api.throttling import POLICIES, Throttled, reserve
from domain.email import normalise_email
from domain.errors import FieldError
from domain.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from store import audit
from store.accounts import Account, account_by_email, rehash_password

POLICY = POLICIES["login"]
# Longer than any address the database accepts: longer input matches no account.
_TYPED_EMAIL_MAX = 320
# Pending accounts may sign in as far as being told to finish their registration.
_MAY_SIGN_IN = ("active", "pending")


def typed_address(typed_email: str) -> str:
    """The address as the throttles count it: normalised when it is one, else as typed."""
    try:
        return normalise_email(typed_email)
    except FieldError:
        return typed_email.strip()[:_TYPED_EMAIL_MAX]


async def check_credentials(request: Request, pool: asyncpg.Pool, typed_email: str, password: str, option: str) -> Account | None:
    """The account this email and password open, or None for every kind of failure;
    Throttled (nothing checked) when this client has tried this address too often."""
    try:
        attempt = await reserve(request, POLICY, typed_address(typed_email))
    except Throttled:
        await _audit(request, pool, "login.failed", None, option, reason="throttled")
        raise
    async with pool.acquire() as conn:
        account = await _lookup(conn, typed_email)
    hashed = account.password_hash if account is not None else None
    matches = await run_in_threadpool(_password_matches, hashed, password)
    if matches and account is not None and account.status in _MAY_SIGN_IN:
        await attempt.succeeded()
        if hashed and needs_rehash(hashed):
            await _rehash(pool, account, hashed, password)
        return account
    await _audit(request, pool, "login.failed", account, option, reason="credentials")
    if attempt.locks_for is not None:
        await _audit(request, pool, "login.locked_out", account, option, seconds=int(attempt.locks_for.total_seconds()))
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


async def _audit(
    request: Request, pool: asyncpg.Pool, event: str, account: Account | None, option: str, **detail: object
) -> None:
    async with pool.acquire() as conn:
        await audit.record(
            conn, event, subject=account.id if account is not None else None, client_ip=client_ip(request),
            detail={"option": option, **detail},
        )

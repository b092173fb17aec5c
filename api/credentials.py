"""The one password check at the edge, for Login with Phone / Email and for the first login of
a portal user: the password never reaches a workflow.

From outside, every failure looks the same: an unknown address or username, a wrong password
and an account that may not sign in all give None, and each costs one argon2 verification (a
dummy one when there is no account). Each try is reserved before it is checked
(api.throttling): what was typed, from one client, locks after its policy's tries, the client
and what was typed are slowed down beyond theirs; a refused try raises Throttled without being
checked, the same for every address. A hash made with older parameters is replaced once the
password is proven.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from fastapi import Request

from api.client_address import client_ip
from api.password_work import password_work
from api.throttling import POLICIES, Policy, Throttled, reserve
from domain.email import normalise_email
from domain.errors import FieldError
from domain.passwords import needs_rehash
from settings import Settings
from store import audit
from store.accounts import Account, account_by_id, rehash_password

USE_KEPRO_BOX = (
    "This is a Kepro address: please use the LOGIN button in the Kepro box on the login page. "
    "Login with Phone and Login with Email are for customer and provider users."
)
# Longer than any address the database accepts: longer input matches no account.
_TYPED_EMAIL_MAX = 320
Lookup = Callable[[asyncpg.Connection], Awaitable[Account | None]]


@dataclass(frozen=True)
class CredentialCheck:
    policy: Policy  # the tries it allows, per what was typed and per client
    failed: str  # the audit event of a refused try (reason "throttled" or "credentials")
    locked: str | None  # the audit event of the try that locks, when it has one
    may_sign_in: tuple[str, ...]  # account statuses a right password opens


# Pending accounts may sign in as far as being told to finish their registration.
LOGIN = CredentialCheck(POLICIES["login"], "login.failed", "login.locked_out", ("active", "pending"))
# Only active accounts: a pending registration finishes through "Having trouble logging in?".
FIRST_LOGIN = CredentialCheck(POLICIES["first_login"], "mfa.first_login_failed", None, ("active",))


def typed_address(typed_email: str) -> str:
    """The address as the throttles count it: normalised when it is one, else as typed."""
    try:
        return normalise_email(typed_email)
    except FieldError:
        return typed_email.strip()[:_TYPED_EMAIL_MAX]


def is_staff_address(settings: Settings, typed: str) -> bool:
    """An address at the portal owner's own domains: its staff sign in by the Kepro box's LOGIN."""
    _, at, domain = typed.strip().rpartition("@")
    return bool(at) and domain.lower() in settings.staff_domains


async def check_credentials(
    request: Request, pool: asyncpg.Pool, check: CredentialCheck, typed: str, lookup: Lookup, password: str,
    **detail: object,
) -> Account | None:
    """The account ``lookup`` finds if ``password`` opens it, or None for every kind of failure;
    Throttled (nothing checked) when this client has tried ``typed`` too often. ``detail``
    goes into the audit entries."""
    try:
        attempt = await reserve(request, check.policy, typed)
    except Throttled:
        await _audit(request, pool, check.failed, None, reason="throttled", **detail)
        raise
    async with pool.acquire() as conn:
        account = await lookup(conn)
    hashed = account.password_hash if account is not None else None
    matches = await password_work(request).opens(hashed, password)
    if matches and account is not None and account.status in check.may_sign_in:
        await attempt.succeeded()
        if hashed and needs_rehash(hashed):
            await _rehash(request, pool, account, hashed, password)
        return account
    await _audit(request, pool, check.failed, account, reason="credentials", **detail)
    if attempt.locks_for is not None and check.locked:
        await _audit(request, pool, check.locked, account, seconds=int(attempt.locks_for.total_seconds()), **detail)
    return None


async def _rehash(request: Request, pool: asyncpg.Pool, account: Account, old_hash: str, password: str) -> None:
    new_hash = await password_work(request).hash(password)
    async with pool.acquire() as conn, conn.transaction():
        if await rehash_password(conn, account.id, old_hash, new_hash):
            await audit.record(conn, "login.password_rehashed", subject=account.id)


async def _audit(request: Request, pool: asyncpg.Pool, event: str, account: Account | None, **detail: object) -> None:
    async with pool.acquire() as conn:
        subject = account.id if account is not None else None
        await audit.record(conn, event, subject=subject, client_ip=client_ip(request), detail=detail)


# A signed-in person typing their password again before a change to how they sign in: it
# counts toward the same tries as Login's, per account address and per client.
REAUTHENTICATION = CredentialCheck(POLICIES["login"], "account.password_again_failed", "login.locked_out", ("active",))
WRONG_PASSWORD = "Your password is incorrect."


async def password_again(request: Request, pool: asyncpg.Pool, account: Account, password: str) -> str:
    """"" when ``password`` opens ``account``; otherwise what to tell the person."""

    async def this_account(conn: asyncpg.Connection) -> Account | None:
        return await account_by_id(conn, account.id)

    try:
        proven = await check_credentials(request, pool, REAUTHENTICATION, account.email or account.username, this_account, password)
    except Throttled as throttled:
        return throttled.message
    return "" if proven is not None else WRONG_PASSWORD

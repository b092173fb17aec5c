"""The people the login rows sign in: active portal users who finished MFA registration with
the email method (or the phone method, given their numbers), put straight into the database before measuring — a login is measured,
not the registration before it. They share one password hash: hashing is not what is timed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from activities.contracts import EmailToVerify, MfaChoice
from activities.postgres import AccountActivities
from store.providers import get_provider_by_npi
from store.users import import_legacy_user


@dataclass(frozen=True)
class LoginUser:
    username: str
    email: str
    phone: str = ""


async def add_email_users(
    pool: asyncpg.Pool, npi: str, password_hash: str, count: int, *, phones: list[str] | None = None
) -> list[LoginUser]:
    """``count`` users of the provider with ``npi``, named for this call so none repeats; with
    ``phones`` (one each), registered with the phone method on those numbers instead."""
    run = uuid.uuid4().hex[:8]
    numbers = phones or [""] * count
    users = [LoginUser(f"bench-login-{run}-{i}", f"bench-login-{run}-{i}@example.com", numbers[i]) for i in range(count)]
    accounts = AccountActivities(pool)
    async with pool.acquire() as conn:
        provider = await get_provider_by_npi(conn, npi)
        if provider is None:
            raise RuntimeError(f"no provider with NPI {npi} to add login users to")
    for user in users:
        async with pool.acquire() as conn, conn.transaction():
            user_id = await import_legacy_user(
                conn, username=user.username, password_hash=password_hash, first_name="Bench",
                last_name="Returning", email=user.email, provider_id=provider.id,
            )
        # As MFA registration leaves them: the address verified, the email method chosen.
        verified = await accounts.verify_account_email(EmailToVerify(str(user_id), user.email))
        if verified.error:
            raise RuntimeError(f"{user.email}: {verified.error}")
        method = "phone" if user.phone else "email"
        await accounts.complete_mfa_registration(MfaChoice(str(user_id), method, user.phone))
    return users

"""Portal users as the login tests need them: enrolled with the phone or email method,
or stopped short of it."""

from __future__ import annotations

import asyncpg

from activities.contracts import MfaChoice
from activities.postgres import AccountActivities
from domain.passwords import hash_password
from store.providers import add_provider
from store.users import import_legacy_user

PASSWORD = "Quiet-Harbor-Lantern-47"
PHONE = "+12025559885"  # shown on the login screen as XXX-XXX-9885, as in the guide


async def add_user(
    pool: asyncpg.Pool,
    method: str | None,
    *,
    username: str = "dana.doctor",
    first_name: str = "Dana",
    last_name: str = "Doctor",
    email: str = "dana.doctor@example.com",
    password: str = PASSWORD,
    password_hash: str | None = None,
) -> str:
    """An active portal user who finished MFA registration with ``method`` ("phone" or
    "email"), or, with None, a legacy user who has not registered MFA yet. Returns its id."""
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await conn.fetchval("SELECT id FROM providers WHERE npi = '1234567893'")
        if provider_id is None:
            provider_id = await add_provider(conn, "1234567893", "Demo Family Practice", hash_password("DEMO-REG-2026"))
        user_id = await import_legacy_user(
            conn, username=username, password_hash=password_hash or hash_password(password),
            first_name=first_name, last_name=last_name, email=email, provider_id=provider_id,
        )
        if method is not None:
            await conn.execute("UPDATE users SET email_verified_at = now(), password_changed_at = now() WHERE id = $1", user_id)
    if method is not None:
        choice = MfaChoice(str(user_id), method, PHONE if method == "phone" else "")
        await AccountActivities(pool).complete_mfa_registration(choice)
    return str(user_id)

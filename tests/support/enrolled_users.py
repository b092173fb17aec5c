"""Portal users as the login tests need them: enrolled with the phone or email method,
or stopped short of it."""

from __future__ import annotations

import uuid

import asyncpg

from activities.contracts import MfaChoice
from activities.postgres import AccountActivities
from domain import authenticator_app, digests
from domain.passwords import hash_password
from store.providers import add_provider
from store.sessions import create_session
from store.users import import_legacy_user

PASSWORD = "Quiet-Harbor-Lantern-47"
PHONE = "+12025559885"  # shown on the login screen as XXX-XXX-9885, as in the guide
DEMO_PROVIDER = ("1234567893", "Demo Family Practice")


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
    provider: tuple[str, str] = DEMO_PROVIDER,
    admin: bool = False,
) -> str:
    """An active portal user of ``provider`` (NPI, name; made if missing) who finished MFA
    registration with ``method`` ("phone" or "email"), or, with None, a legacy user who has not
    registered MFA yet; with ``admin``, the provider's administrator. Returns its id."""
    async with pool.acquire() as conn, conn.transaction():
        provider_id = await conn.fetchval("SELECT id FROM providers WHERE npi = $1", provider[0])
        if provider_id is None:
            provider_id = await add_provider(conn, *provider, hash_password("DEMO-REG-2026"))
        user_id = await import_legacy_user(
            conn, username=username, password_hash=password_hash or hash_password(password),
            first_name=first_name, last_name=last_name, email=email, provider_id=provider_id,
        )
        if admin:
            await conn.execute("UPDATE provider_members SET is_admin = true WHERE user_id = $1", user_id)
        if method is not None:
            await conn.execute("UPDATE users SET email_verified_at = now(), password_changed_at = now() WHERE id = $1", user_id)
    if method is not None:
        choice = MfaChoice(str(user_id), method, PHONE if method == "phone" else "")
        await AccountActivities(pool).complete_mfa_registration(choice)
    return str(user_id)


async def session_token(live_app, user_id: str) -> str:
    """A signed-in browser's session cookie for ``user_id`` (the sign-in itself is tested elsewhere)."""
    token = digests.generate_token()
    key = digests.derive_key(live_app.settings.secret_key, digests.SESSION_KEY)
    async with live_app.pool.acquire() as conn:
        await create_session(
            conn, digests.token_digest(key, token), user_id,
            idle=live_app.settings.session_idle_timeout, absolute=live_app.settings.session_absolute_timeout,
        )
    return token


async def add_app_user(pool: asyncpg.Pool, secret_key: str, **user: str) -> tuple[str, str]:
    """An active user whose second factor is an authenticator app: (its id, the app's secret)."""
    user_id = await add_user(pool, "email", **user)
    secret = authenticator_app.new_secret()
    sealed = authenticator_app.seal(digests.derive_key(secret_key, authenticator_app.SEAL_KEY), user_id, secret)
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO authenticator_apps (user_id, secret_sealed, confirmed_at) VALUES ($1, $2, now())", uuid.UUID(user_id), sealed
        )
        await conn.execute("UPDATE users SET mfa_method = 'app' WHERE id = $1", uuid.UUID(user_id))
    return user_id, secret

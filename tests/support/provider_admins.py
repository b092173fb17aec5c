"""Providers with their members and administrators, and signed-in browsers for them, as the
Manage Users and admin reset tests need them."""

from __future__ import annotations

from datetime import timedelta

import httpx

from domain import digests
from domain.passwords import hash_password
from store.providers import add_provider
from store.remember_me import issue_token
from store.users import add_membership
from tests.support.enrolled_users import DEMO_PROVIDER, PASSWORD, add_user, session_token

PROVIDER_A = DEMO_PROVIDER
PROVIDER_B = ("1245319599", "Riverside Pediatrics")
# One argon2id hash for every member: hashing is slow, and these tests are not about it.
_HASH = hash_password(PASSWORD)


async def provider(pool, npi: str, name: str) -> int:
    async with pool.acquire() as conn:
        existing = await conn.fetchval("SELECT id FROM providers WHERE npi = $1", npi)
        return existing or await add_provider(conn, npi, name, hash_password("REG-CODE-2026"))


async def member(
    pool, username: str, *, of: tuple[str, str] = PROVIDER_A, admin: bool = False, method: str | None = "email",
    first_name: str = "Dana", last_name: str = "Doctor",
) -> str:
    """An active portal user of the provider ``of`` (registered with ``method``); its id."""
    return await add_user(
        pool, method, username=username, first_name=first_name, last_name=last_name,
        email=f"{username}@example.com", password_hash=_HASH, provider=of, admin=admin,
    )


async def also_member(pool, user_id: str, of: tuple[str, str], *, admin: bool = False) -> None:
    provider_id = await provider(pool, *of)
    async with pool.acquire() as conn:
        await add_membership(conn, user_id, provider_id, is_admin=admin)


async def remember_me_token(live_app, user_id: str) -> None:
    """A browser that Remember Me lets skip the code for Login with Email."""
    key = digests.derive_key(live_app.settings.secret_key, digests.REMEMBER_KEY)
    async with live_app.pool.acquire() as conn:
        await issue_token(conn, digests.token_digest(key, digests.generate_token()), user_id, "email", ttl=timedelta(hours=4))


async def signed_in(live_app, user_id: str) -> httpx.AsyncClient:
    """An HTTP client signed in as ``user_id`` (use it with ``async with``)."""
    http = live_app.http()
    http.cookies.set("atrezzo_session", await session_token(live_app, user_id))
    return http

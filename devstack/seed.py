"""Demo data for the local stack: one provider organisation, one legacy portal user (no MFA
yet) and one provider administrator. Idempotent: a second run finds them and changes nothing."""

from __future__ import annotations

import asyncpg

from domain.passwords import hash_password
from store.accounts import account_by_username
from store.providers import add_provider, get_provider_by_npi
from store.users import grant_admin, import_legacy_user

PROVIDER_NPI = "1234567893"  # a valid check digit (Luhn over the 80840 prefix)
PROVIDER_NAME = "Demo Family Practice"
REGISTRATION_CODE = "DEMO-REG-2026"
LEGACY = {"username": "legacy.user", "password": "Legacy-Portal-2026", "first_name": "Lee", "last_name": "Gacy", "email": "legacy.user@example.com"}
ADMIN = {"username": "provider.admin", "password": "Admin-Portal-2026", "first_name": "Ada", "last_name": "Minh", "email": "provider.admin@example.com"}


async def seed_demo(database_url: str) -> list[str]:
    """Create what is missing and describe the demo data for the start-up banner."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            provider = await get_provider_by_npi(conn, PROVIDER_NPI)
            provider_id = provider.id if provider else await add_provider(
                conn, PROVIDER_NPI, PROVIDER_NAME, hash_password(REGISTRATION_CODE)
            )
            for person in (LEGACY, ADMIN):
                if await account_by_username(conn, person["username"]) is None:
                    fields = {k: v for k, v in person.items() if k != "password"}
                    await import_legacy_user(conn, password_hash=hash_password(person["password"]), provider_id=provider_id, **fields)
            await grant_admin(conn, ADMIN["username"], PROVIDER_NPI)
    finally:
        await conn.close()
    return [
        f"Provider:        {PROVIDER_NAME}, NPI {PROVIDER_NPI}, registration code {REGISTRATION_CODE}",
        f"Legacy user:     {LEGACY['username']} / {LEGACY['password']} (no MFA yet)",
        f"Provider admin:  {ADMIN['username']} / {ADMIN['password']}",
    ]

"""The "Specify Your Organization" check: an NPI and its provider registration code. The code
is compared with the stored argon2id hash here, at the edge, so it never enters a flow, a
log or the database; wrong codes are limited per NPI and per client."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from api.throttling import count_failure, lockout, too_many_attempts
from domain.errors import FieldError
from domain.npi import parse_npi
from domain.passwords import dummy_verify, verify_password
from store import audit, throttles
from store.providers import Provider, get_provider_by_npi

CODE_LIMIT = 5
CODE_WINDOW = timedelta(minutes=15)
REQUIRED = "This field is required."
MISMATCH = "The NPI and registration code do not match our records."


class OrganizationRefused(Exception):
    """What to tell the person on the same screen, and with which HTTP status."""

    def __init__(self, errors: dict[str, str], status_code: int = 422) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
        self.status_code = status_code


async def check_registration_code(pool: asyncpg.Pool, typed_npi: str, typed_code: str, ip: str | None) -> Provider:
    """The provider whose NPI and registration code these are, or OrganizationRefused."""
    npi, code = _parsed(typed_npi, typed_code)
    keys = (f"regcode:npi:{npi}", f"regcode:ip:{ip or 'unknown'}")
    async with pool.acquire() as conn:
        wait = await lockout(conn, keys)
        if wait is not None:
            raise OrganizationRefused({"form": too_many_attempts(wait)}, 429)
        provider = await get_provider_by_npi(conn, npi)
    # argon2 is CPU work: off the event loop, so other requests keep moving meanwhile.
    if not await asyncio.to_thread(_code_matches, provider, code):
        async with pool.acquire() as conn, conn.transaction():
            lock = await count_failure(conn, keys, limit=CODE_LIMIT, window=CODE_WINDOW)
            detail = {"npi": npi, "locked": lock is not None}
            await audit.record(conn, "registration.code_refused", client_ip=ip, detail=detail)
        if lock is not None:
            raise OrganizationRefused({"form": too_many_attempts(lock)}, 429)
        raise OrganizationRefused({"form": MISMATCH})
    assert provider is not None
    async with pool.acquire() as conn:
        await throttles.clear(conn, keys[0])
    return provider


def _parsed(typed_npi: str, typed_code: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    npi = ""
    if not typed_npi.strip():
        errors["npi"] = REQUIRED
    else:
        try:
            npi = parse_npi(typed_npi)
        except FieldError as exc:
            errors["npi"] = exc.message
    code = typed_code.strip()
    if not code:
        errors["registration_code"] = REQUIRED
    if errors:
        raise OrganizationRefused(errors)
    return npi, code


def _code_matches(provider: Provider | None, code: str) -> bool:
    if provider is None:
        # As long as a real check, so response times do not tell which NPIs are registered.
        dummy_verify()
        return False
    return verify_password(provider.registration_code_hash, code)

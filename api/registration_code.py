"""The "Specify Your Organization" check: an NPI and its provider registration code. The code
is compared with the stored argon2id hash here, at the edge, so it never enters a flow, a
log or the database; tries are limited per NPI and per client (api.throttling)."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from api.client_address import client_ip
from api.password_work import password_work
from api.throttling import POLICIES, Throttled, ask_to_wait, reserve, too_many_attempts
from domain.errors import FieldError
from domain.npi import parse_npi
from store import audit
from store.providers import Provider, get_provider_by_npi

POLICY = POLICIES["regcode"]
REQUIRED = "This field is required."
MISMATCH = "The NPI and registration code do not match our records."


class OrganizationRefused(Exception):
    """What to tell the person on the same screen, and with which HTTP status."""

    def __init__(self, errors: dict[str, str], status_code: int = 422) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
        self.status_code = status_code


async def check_registration_code(request: Request, pool: asyncpg.Pool, typed_npi: str, typed_code: str) -> Provider:
    """The provider whose NPI and registration code these are, or OrganizationRefused."""
    npi, code = _parsed(typed_npi, typed_code)
    ip = client_ip(request)
    try:
        attempt = await reserve(request, POLICY, npi)
    except Throttled as throttled:
        raise OrganizationRefused({"form": throttled.message}, 429) from None
    async with pool.acquire() as conn:
        provider = await get_provider_by_npi(conn, npi)
    # argon2 is CPU work: off the event loop, so other requests keep moving meanwhile.
    if not await password_work(request).opens(provider.registration_code_hash if provider is not None else None, code):
        async with pool.acquire() as conn:
            detail = {"npi": npi, "locked": attempt.locks_for is not None}
            await audit.record(conn, "registration.code_refused", client_ip=ip, detail=detail)
        if attempt.locks_for is not None:
            raise OrganizationRefused({"form": too_many_attempts(ask_to_wait(request, attempt.locks_for))}, 429)
        raise OrganizationRefused({"form": MISMATCH})
    assert provider is not None
    await attempt.succeeded()
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

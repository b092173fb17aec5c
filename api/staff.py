"""Staff: signed-in users with users.is_staff (`atrezzo user grant-staff USERNAME`). Anyone
else who reaches a staff page gets a 403, and the attempt goes to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request

from api import cookies
from api.client_address import client_ip
from api.security import equal
from api.sessions import SESSION_COOKIE, SignedIn, current_user
from settings import Settings
from store import audit
from store.accounts import account_by_id
from store.sessions import SessionUser

STAFF_ONLY = "Staff only."


async def is_staff(request: Request, user: SessionUser) -> bool:
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, user.id)
    return account is not None and account.is_staff


async def staff_session(request: Request) -> SessionUser | None:
    """The signed-in staff member, or None (not signed in, or not staff). No audit: the caller
    decides what a refusal means."""
    user = await current_user(request)
    return user if user is not None and await is_staff(request, user) else None


@dataclass(frozen=True)
class StaffCaller:
    """Who a staff-only endpoint let through: a staff member's session, the staff tooling
    token (CODEC_TOKEN), or — make dev only — the local Temporal UI's origin."""

    via: str  # session | token | ui_origin
    user: UUID | None = None


async def staff_caller(request: Request, settings: Settings, *, trust_ui_origin: bool = False) -> StaffCaller | None:
    """The staff member or tool behind this request, or None; a signed-in non-staff user's
    try is audited."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if settings.codec_token and scheme.lower() == "bearer" and equal(settings.codec_token, token):
        return StaffCaller("token")
    if cookies.read(request, SESSION_COOKIE):
        user = await current_user(request)
        if user is not None and await is_staff(request, user):
            return StaffCaller("session", user.id)
        if user is not None:
            await record_refusal(request, user)
    if trust_ui_origin and settings.codec_trust_ui_origin and request.headers.get("origin") in settings.codec_origins:
        return StaffCaller("ui_origin")
    return None


async def record_refusal(request: Request, user: SessionUser | None) -> None:
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        detail = {"path": request.url.path, "method": request.method}
        await audit.record(conn, "operations.refused", actor=user.id if user else None, client_ip=client_ip(request), detail=detail)


async def _require_staff(request: Request, user: SignedIn) -> SessionUser:
    if not await is_staff(request, user):
        await record_refusal(request, user)
        raise HTTPException(403, STAFF_ONLY)
    return user


Staff = Annotated[SessionUser, Depends(_require_staff)]

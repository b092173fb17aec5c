"""Staff: signed-in users with users.is_staff (`atrezzo user grant-staff USERNAME`). Anyone
else who reaches a staff page gets a 403, and the attempt goes to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.client_address import client_ip
from api.sessions import SignedIn, current_user
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

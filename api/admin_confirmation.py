"""Resetting another provider administrator takes the resetting administrator's own password
again: a session left open at a desk must not let whoever sits down strip a fellow
administrator's MFA. Tries are throttled like any password (api.throttling, "admin_password")."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from api.client_address import client_ip
from api.password_work import password_work
from api.throttling import POLICIES, reserve
from store import audit
from store.accounts import account_by_id
from store.sessions import SessionUser


async def password_confirms(request: Request, pool: asyncpg.Pool, admin: SessionUser, password: str) -> bool:
    """Whether ``password`` is the signed-in administrator's; Throttled when tried too often."""
    attempt = await reserve(request, POLICIES["admin_password"], str(admin.id))
    async with pool.acquire() as conn:
        account = await account_by_id(conn, admin.id)
    hashed = account.password_hash if account is not None else None
    if await password_work(request).opens(hashed, password):
        await attempt.succeeded()
        return True
    async with pool.acquire() as conn:
        await audit.record(conn, "manage_users.password_refused", actor=admin.id, client_ip=client_ip(request))
    return False

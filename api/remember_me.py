"""Remember Me (guide §5) at the edge: a random token in a browser-session cookie whose keyed
digest names a server-side row, bound to the login option it was set with and expiring
REMEMBER_ME_TTL after the login that set it.

The cookie has no Max-Age: it lives as long as the browser's session, so it survives a
browser that restores its session ("continue where you left off") and not one that does not,
as the guide says; the server-side expiry bounds it either way.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response

from api.client_address import client_ip
from api import cookies
from domain.digests import REMEMBER_KEY, derive_key, generate_token, token_digest
from store import audit, remember_me
from store.remember_me import Remembered, RememberedLogin

REMEMBER_COOKIE = "atrezzo_remember_me"


def this_browser_digest(request: Request) -> str | None:
    token = cookies.read(request, REMEMBER_COOKIE)
    if not token:
        return None
    key = derive_key(request.app.state.resources.settings.secret_key, REMEMBER_KEY)
    return token_digest(key, token)


async def remembered_account(request: Request, option: str) -> Remembered | None:
    """Whom this browser is remembered for with ``option``, and since which login; None (no
    cookie, a token that expired or was revoked, or one set with the other option)."""
    digest = this_browser_digest(request)
    if digest is None:
        return None
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        found = await remember_me.remembered(conn, digest, option)
        if found is not None:
            await audit.record(
                conn, "remember_me.used", subject=found.user_id, client_ip=client_ip(request), detail={"option": option}
            )
    return found


async def remember(request: Request, response: Response, account_id: str, option: str) -> None:
    """Remember this browser for ``option`` from now on; a token it held before is revoked."""
    settings = request.app.state.resources.settings
    token = generate_token()
    previous = this_browser_digest(request)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn, conn.transaction():
        if previous is not None:
            await remember_me.revoke_token(conn, previous)
        key = derive_key(settings.secret_key, REMEMBER_KEY)
        await remember_me.issue_token(conn, token_digest(key, token), account_id, option, ttl=settings.remember_me_ttl)
        await audit.record(
            conn, "remember_me.issued", subject=UUID(account_id), client_ip=client_ip(request), detail={"option": option}
        )
    cookies.write(response, request, REMEMBER_COOKIE, token)


async def forget(request: Request, response: Response) -> None:
    """Turn Remember Me off for this browser, on the server and in the browser."""
    digest = this_browser_digest(request)
    if digest is None:
        return
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn, conn.transaction():
        user_id = await remember_me.revoke_token(conn, digest)
        if user_id is not None:
            await audit.record(conn, "remember_me.turned_off", subject=user_id, client_ip=client_ip(request))
    drop_cookie(request, response)


async def live_for_account(request: Request, account_id: UUID | str) -> list[RememberedLogin]:
    """The account's live Remember Me tokens, this browser's marked."""
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        return await remember_me.live_for_user(conn, account_id, this_digest=this_browser_digest(request))


def drop_cookie(request: Request, response: Response) -> None:
    cookies.forget(response, request, REMEMBER_COOKIE)

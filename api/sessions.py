"""Signed-in browsers: a random cookie whose keyed digest names a server-side session row
(DESIGN.md §4). Idle and absolute timeouts live in the database, so logging off after
inactivity (HIPAA) does not depend on the browser."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from api.client_address import client_ip
from api.flows import is_api
from api.security import cookie_flags
from domain.digests import SESSION_KEY, derive_key, generate_token, token_digest
from store import audit
from store.sessions import SessionUser, create_session, revoke_session, touch_session

SESSION_COOKIE = "atrezzo_session"
_USER_AGENT_MAX = 300


class SignInRequired(Exception):
    """Raised by the SignedIn dependency; the app turns it into a redirect or a 401."""


async def sign_in(request: Request, response: Response, account_id: str) -> None:
    """Start a fresh session for ``account_id`` on ``response``. Any session this browser
    already had ends first: a new sign-in never reuses an id (session fixation)."""
    resources = request.app.state.resources
    settings = resources.settings
    key = derive_key(settings.secret_key, SESSION_KEY)
    token = generate_token()
    previous = request.cookies.get(SESSION_COOKIE)
    ip = client_ip(request)
    pool = await resources.pool()
    async with pool.acquire() as conn, conn.transaction():
        if previous:
            await revoke_session(conn, token_digest(key, previous))
        await create_session(
            conn,
            token_digest(key, token),
            account_id,
            idle=settings.session_idle_timeout,
            absolute=settings.session_absolute_timeout,
            user_agent=request.headers.get("user-agent", "")[:_USER_AGENT_MAX],
            client_ip=ip,
        )
        await audit.record(conn, "session.started", subject=UUID(str(account_id)), client_ip=ip)
    if hasattr(request.state, "session_user"):
        del request.state.session_user  # whoever this request saw before is not who it is now
    # No max-age: the cookie dies with the browser; the server-side timeouts bound it anyway.
    response.set_cookie(SESSION_COOKIE, token, **cookie_flags(request))


async def current_user(request: Request) -> SessionUser | None:
    """The signed-in account, or None. Each call counts as activity (moves the idle timeout)."""
    if hasattr(request.state, "session_user"):
        return request.state.session_user
    token = request.cookies.get(SESSION_COOKIE)
    user = None
    if token:
        resources = request.app.state.resources
        key = derive_key(resources.settings.secret_key, SESSION_KEY)
        pool = await resources.pool()
        async with pool.acquire() as conn:
            user = await touch_session(conn, token_digest(key, token), idle=resources.settings.session_idle_timeout)
    request.state.session_user = user
    return user


async def sign_out(request: Request, response: Response) -> None:
    """End this browser's session, on the server and in the browser."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        resources = request.app.state.resources
        key = derive_key(resources.settings.secret_key, SESSION_KEY)
        user = await current_user(request)
        pool = await resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            await revoke_session(conn, token_digest(key, token))
            if user is not None:
                await audit.record(conn, "session.ended", subject=UUID(str(user.id)), client_ip=client_ip(request))
    flags = cookie_flags(request)
    response.delete_cookie(SESSION_COOKIE, path=flags["path"], secure=flags["secure"], httponly=True, samesite="lax")


async def _signed_in_user(request: Request) -> SessionUser:
    user = await current_user(request)
    if user is None:
        raise SignInRequired()
    return user


async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
    """Exception handler: a browser goes to the login page, a program gets a 401."""
    if is_api(request):
        return JSONResponse({"detail": "Sign in first."}, status_code=401)
    # A cookie that no longer works is a session that timed out or was revoked: say so.
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/", status_code=303)
    response = RedirectResponse("/?notice=session_expired", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


SignedIn = Annotated[SessionUser, Depends(_signed_in_user)]

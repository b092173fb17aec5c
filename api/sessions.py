"""Signed-in browsers: a random cookie whose keyed digest names a server-side session row
(DESIGN.md §4). Idle and absolute timeouts live in the database, so logging off after
inactivity (HIPAA) does not depend on the browser."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from api import cookies
from api.client_address import client_ip
from api.flows import is_api
from domain.digests import SESSION_KEY, derive_key, generate_token, token_digest
from store import audit, remember_me
from store.sessions import (
    ActiveSession,
    SessionUser,
    create_session,
    live_for_user,
    revoke_all_for_user,
    revoke_session,
    touch_session,
)
from store.sql import query

SESSION_COOKIE = "atrezzo_session"
_USER_AGENT_MAX = 300


class SignInRequired(Exception):
    """Raised by the SignedIn dependency; the app turns it into a redirect or a 401."""


class SignInRefused(Exception):
    """No session for this account now: it may not sign in (disabled), or its sign-ins were
    ended (a password or admin reset) after the login or enrollment that asks began."""


async def sign_in(
    request: Request,
    response: Response,
    account_id: str,
    *,
    not_before: datetime | None = None,
    authenticated_at: datetime | None = None,
    from_claim: str = "",
) -> None:
    """Start a fresh session for ``account_id`` on ``response``. Any session this browser
    already had ends first: a new sign-in never reuses an id (session fixation). Only an
    active account signs in, and — with ``not_before``, when the flow asking was bound — only
    if its sign-ins were not ended since then (SignInRefused, audited). ``authenticated_at``:
    when the person proved who they are, if not now (Remember Me). ``from_claim``: the
    flow claim it comes from (store.sessions.create_session)."""
    resources = request.app.state.resources
    settings = resources.settings
    key = derive_key(settings.secret_key, SESSION_KEY)
    token = generate_token()
    previous = cookies.read(request, SESSION_COOKIE)
    ip = client_ip(request)
    pool = await resources.pool()
    user_id = UUID(str(account_id))
    async with pool.acquire() as conn, conn.transaction():
        refusal = _refusal(await conn.fetchrow(query("users/sign_in_state"), user_id), not_before)
        if refusal:
            await audit.record(conn, "session.refused", subject=user_id, client_ip=ip, detail={"reason": refusal})
        else:
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
                authenticated_at=authenticated_at,
                from_claim=from_claim,
            )
            await audit.record(conn, "session.started", subject=user_id, client_ip=ip)
    if refusal:
        raise SignInRefused(refusal)
    if hasattr(request.state, "session_user"):
        del request.state.session_user  # whoever this request saw before is not who it is now
    # No max-age: the cookie dies with the browser; the server-side timeouts bound it anyway.
    cookies.write(response, request, SESSION_COOKIE, token)


def _refusal(state, not_before: datetime | None) -> str:
    if state is None or state["status"] != "active":
        return "not_active"
    ended = state["sign_ins_revoked_at"]
    if not_before is not None and ended is not None and ended >= not_before:
        return "sign_ins_ended"
    return ""


async def current_user(request: Request) -> SessionUser | None:
    """The signed-in account, or None. Each call counts as activity (moves the idle timeout)."""
    if hasattr(request.state, "session_user"):
        return request.state.session_user
    digest = session_digest(request)
    user = None
    if digest is not None:
        resources = request.app.state.resources
        pool = await resources.pool()
        async with pool.acquire() as conn:
            user = await touch_session(conn, digest, idle=resources.settings.session_idle_timeout)
    request.state.session_user = user
    return user


def session_digest(request: Request) -> str | None:
    """The digest naming this browser's session row, or None without a session cookie."""
    token = cookies.read(request, SESSION_COOKIE)
    if not token:
        return None
    return token_digest(derive_key(request.app.state.resources.settings.secret_key, SESSION_KEY), token)


async def live_sessions(request: Request, user_id: UUID | str) -> list[ActiveSession]:
    """The user's sessions that still work, this browser's marked."""
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        return await live_for_user(conn, user_id, this_digest=session_digest(request))


async def sign_out_others(request: Request, user: SessionUser) -> dict[str, int]:
    """"Sign out of other sessions": every other session ends, and Remember Me ends on every
    browser (this one too: a remembered browser could sign in again without the password).
    Returns how many of each ended; the caller drops this browser's Remember Me cookie."""
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn, conn.transaction():
        sessions = await revoke_all_for_user(conn, user.id, except_digest=session_digest(request))
        tokens = await remember_me.revoke_all_for_user(conn, user.id)
        ended = {"sessions": sessions, "remember_me_tokens": tokens}
        await audit.record(conn, "sessions.others_revoked", subject=user.id, client_ip=client_ip(request), detail=ended)
    return ended


async def sign_out(request: Request, response: Response) -> None:
    """End this browser's session, on the server and in the browser."""
    digest = session_digest(request)
    if digest is not None:
        user = await current_user(request)
        pool = await request.app.state.resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            await revoke_session(conn, digest)
            if user is not None:
                await audit.record(conn, "session.ended", subject=UUID(str(user.id)), client_ip=client_ip(request))
    cookies.forget(response, request, SESSION_COOKIE)


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
    if not cookies.read(request, SESSION_COOKIE):
        return RedirectResponse("/", status_code=303)
    response = RedirectResponse("/?notice=session_expired", status_code=303)
    cookies.forget(response, request, SESSION_COOKIE)
    return response


SignedIn = Annotated[SessionUser, Depends(_signed_in_user)]

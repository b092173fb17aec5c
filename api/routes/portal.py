"""The login page (the guide's "LOGIN OPTIONS") and the signed-in account home, with its
summary: MFA method, Remember Me and the active sessions, and the ways to end them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from webauthn.helpers import bytes_to_base64url

from api import cookies
from api.dependencies import PoolDep, SignerDep, TemplatesDep
from api.flow_sign_in import REFUSED
from api.remember_me import REMEMBER_COOKIE, drop_cookie, forget, live_for_account
from api.security import Signer
from api.routes.recovery_codes import codes_left
from api.routes.staff_login import offers_provider_logout
from api.sessions import SignedIn, current_user, live_sessions, sign_out, sign_out_others
from domain.email import mask_email
from domain.phone import mask_phone
from store import passkeys, staff_identities
from store.accounts import Account, account_by_id
from store.members import administers_any
from store.passkeys import ListedPasskey
from store.sessions import SessionUser

router = APIRouter()
CSRF_EXPIRED = "Your session has expired. Please reload the page and try again."

# What ?notice= may show. Only these keys: the page never echoes text from the request.
NOTICES = {
    "mfa_already_registered": (
        "You have already completed the Multi-Factor Authentication registration. "
        "Please log in with your phone or email."
    ),
    "signed_out": "You have been signed out.",
    "session_expired": "Your session has ended. Please log in again.",
    "sign_in_refused": REFUSED,
    "signed_out_kepro": "You have been signed out of the portal.",
    "kepro_again": "Your Kepro sign-in did not finish. Please press LOGIN in the Kepro box again.",
    "kepro_unavailable": "The Kepro sign-in is not available right now. Please try again in a few minutes.",
    "kepro_throttled": "Too many Kepro sign-ins from this network just now. Please wait a minute and press LOGIN again.",
    "passkey_again": "Your passkey sign-in did not finish. Please press Sign in with a passkey again.",
}
HOME_NOTICES = {
    "others_signed_out": "Your other sessions have been signed out, and Remember Me has been turned off.",
}


class Me(BaseModel):
    id: str
    username: str
    first_name: str
    last_name: str


class RememberedOption(BaseModel):
    option: str  # "phone" | "email"
    expires_at: datetime
    this_client: bool


class ActiveSessionOut(BaseModel):
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    this_session: bool


class PasskeyOut(BaseModel):
    id: str  # base64url: what removing it names
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool  # synced to the person's other devices by their platform


class AccountSummary(BaseModel):
    first_name: str
    last_name: str
    mfa_method: str | None
    phone: str  # masked, "" without one
    email: str  # masked, "" without one
    remember_me: list[RememberedOption]
    sessions: list[ActiveSessionOut]
    recovery_codes_left: int | None = None  # for an authenticator-app or passkey user
    passkeys: list[PasskeyOut] = []


class SignedOutOthers(BaseModel):
    sessions: int
    remember_me_tokens: int


@router.get("/", include_in_schema=False)
async def login_page(request: Request, templates: TemplatesDep, notice: str = "") -> Response:
    # The box stays checked while this browser holds a Remember Me cookie: unchecking it is
    # how the guide turns Remember Me off.
    context = {
        "notice": NOTICES.get(notice, ""), "remember": cookies.read(request, REMEMBER_COOKIE) is not None,
        "staff_sign_on": request.app.state.resources.settings.staff_sign_on,
        # Signed out of the portal, still signed in at the Kepro provider: offer that too.
        "provider_logout": notice == "signed_out_kepro",
    }
    return templates.TemplateResponse(request, "portal/login.html", context)


@router.get("/home", include_in_schema=False)
async def home(
    request: Request, user: SignedIn, pool: PoolDep, templates: TemplatesDep, signer: SignerDep, notice: str = ""
) -> Response:
    account = await _account(pool, user)
    async with pool.acquire() as conn:
        manages_users = await administers_any(conn, user.id)
        kepro = await staff_identities.is_linked(conn, user.id)
    context = {
        "user": user,
        # Staff prove who they are at Kepro (its second factor): the portal holds none for them.
        "kepro": kepro,
        "summary": await _summary(request, account),
        # Provider administrators get SETUP → Manage Users; support staff get Operations.
        "manages_users": manages_users,
        "is_staff": account.is_staff,
        "notice": HOME_NOTICES.get(notice, ""),
        "csrf_token": signer.csrf_token(request.state.browser_id),
    }
    return templates.TemplateResponse(request, "portal/home.html", context)


@router.get("/api/v1/me", response_model=Me, tags=["account"], summary="The signed-in account (401 when none)")
async def me(user: SignedIn) -> Me:
    return Me(id=str(user.id), username=user.username, first_name=user.first_name, last_name=user.last_name)


@router.get(
    "/api/v1/account", response_model=AccountSummary, tags=["account"],
    summary="The home page's account summary: MFA method, Remember Me, active sessions (401 when signed out)",
)
async def account_summary(request: Request, user: SignedIn, pool: PoolDep) -> AccountSummary:
    return await _summary(request, await _account(pool, user))


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, signer: SignerDep, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    _check_csrf(request, signer, csrf_token)
    user = await current_user(request)
    kepro = user is not None and await offers_provider_logout(request, request.app.state.resources.settings, user.id)
    response = RedirectResponse("/?notice=signed_out_kepro" if kepro else "/?notice=signed_out", status_code=303)
    await sign_out(request, response)
    # Signing out means this browser no longer knows who you are: Remember Me ends with it
    # (on the server and in the browser), and the box on the login page is unchecked again.
    await forget(request, response)
    return response


@router.post("/logout/others", include_in_schema=False)
async def logout_others(
    request: Request, user: SignedIn, signer: SignerDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    _check_csrf(request, signer, csrf_token)
    await sign_out_others(request, user)
    response = RedirectResponse("/home?notice=others_signed_out", status_code=303)
    drop_cookie(request, response)
    return response


@router.post(
    "/api/v1/logout/others", response_model=SignedOutOthers, tags=["account"],
    summary="Sign out of other sessions: ends every other session and Remember Me on every client",
    responses={415: {"description": "The body is not application/json."}},
)
async def logout_others_api(request: Request, user: SignedIn) -> Response:
    # Like every JSON twin: a cross-site page cannot send application/json without a preflight.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "Send application/json.")
    response = JSONResponse(await sign_out_others(request, user))
    drop_cookie(request, response)
    return response


def _check_csrf(request: Request, signer: Signer, token: str | None) -> None:
    if not signer.csrf_ok(request.state.browser_id, token):
        raise HTTPException(403, CSRF_EXPIRED)


async def _account(pool: asyncpg.Pool, user: SessionUser) -> Account:
    async with pool.acquire() as conn:
        account = await account_by_id(conn, user.id)
    assert account is not None  # a live session names an active account
    return account


async def _summary(request: Request, account: Account) -> AccountSummary:
    remembered = await live_for_account(request, account.id)
    sessions = await live_sessions(request, account.id)
    pool = await request.app.state.resources.pool()
    return AccountSummary(
        first_name=account.first_name,
        last_name=account.last_name,
        mfa_method=account.mfa_method,
        phone=mask_phone(account.mfa_phone) if account.mfa_phone else "",
        email=mask_email(account.email) if account.email else "",
        remember_me=[RememberedOption(option=r.login_option, expires_at=r.expires_at, this_client=r.this_browser) for r in remembered],
        sessions=[ActiveSessionOut(**dataclasses.asdict(s)) for s in sessions],
        recovery_codes_left=await codes_left(pool, account),
        passkeys=[PasskeyOut(id=bytes_to_base64url(p.credential_id), name=p.name, created_at=p.created_at,
                             last_used_at=p.last_used_at, backed_up=p.backed_up) for p in await _passkeys(pool, account)],
    )


async def _passkeys(pool: asyncpg.Pool, account: Account) -> list[ListedPasskey]:
    async with pool.acquire() as conn:
        return await passkeys.listed(conn, account.id)

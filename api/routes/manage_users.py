"""SETUP → Manage Users (guide, "Provider Administrator Reset Registration"): a provider
administrator lists the users of the providers they administer, opens one (the pencil,
"Edit") and resets that user's MFA registration after a confirmation.

An administrator acts only on members of a provider where they are an administrator, and
not on themselves (their own registration is theirs to manage, and a reset would end the
very session they act from). Anything else — a non-admin, a malformed or unknown id,
another provider's user — is the same 403, and an audit entry naming who asked for what.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, SecretStr

from api.admin_confirmation import password_confirms
from api.admin_resets import request_reset, reset_request
from api.client_address import client_ip
from api.dependencies import FlowsDep, PoolDep, SettingsDep, SignerDep, TemplatesDep
from api.security import CSRF_FIELD
from api.sessions import SignedIn
from api.throttling import Throttled
from domain.email import mask_email
from settings import Settings
from store import audit
from store.members import ManagedUser, administers_any, managed_by, managed_user
from store.sessions import SessionUser

router = APIRouter(tags=["manage users"])
FORBIDDEN = "You do not have permission to manage this user."
NOT_ACTIVE = (
    "This user has not completed registration, so there is no registration to reset. "
    'They can finish it with "Having trouble logging in?" on the login page.'
)
NOT_RESETTABLE = (
    "You cannot reset this user's registration: they are Atrezzo staff, or they also belong to an "
    "organization you do not administer. Please ask Atrezzo support."
)
PASSWORD_NEEDED = "To reset another administrator, enter your own password."
WRONG_PASSWORD = "Your password is incorrect."
NOTICES = {
    "reset_started": (
        "The registration has been reset. The user will need to register their multi-factor "
        "authentication again, by the link on the login page or the link sent to their email."
    ),
}
_REQUESTED_ID_MAX = 64


class ResetOut(BaseModel):
    state: str  # pending | re_registered | expired | cancelled | restarted
    requested_at: datetime
    ended_at: datetime | None


class ManagedUserOut(BaseModel):
    id: str
    username: str
    first_name: str
    last_name: str
    email: str  # masked, "" without one
    status: str  # pending | active | disabled
    mfa_method: str | None
    is_admin: bool
    is_you: bool
    resettable: bool  # not staff, and in no provider you do not administer
    reset: ResetOut | None


class ProviderUsersOut(BaseModel):
    npi: str
    name: str
    users: list[ManagedUserOut]


class ResetBody(BaseModel):
    password: SecretStr | None = None  # your own, when the user is another administrator


class ManageUsersOut(BaseModel):
    providers: list[ProviderUsersOut]


_JSON_DOCS: dict = {"responses": {401: {"description": "Sign in first."}, 403: {"description": FORBIDDEN}}}


# --- the list -----------------------------------------------------------------------------
@router.get("/manage-users", include_in_schema=False)
async def list_page(request: Request, user: SignedIn, pool: PoolDep, templates: TemplatesDep) -> Response:
    listing = await _listing(request, pool, user)
    return templates.TemplateResponse(request, "manage_users/list.html", {"listing": listing, "user": user})


@router.get("/api/v1/manage-users", response_model=ManageUsersOut, summary="Manage Users: the users of the providers you administer", **_JSON_DOCS)
async def list_api(request: Request, user: SignedIn, pool: PoolDep) -> ManageUsersOut:
    return await _listing(request, pool, user)


# --- one user ------------------------------------------------------------------------------
@router.get("/manage-users/{user_id}", include_in_schema=False)
async def user_page(
    request: Request, user_id: str, user: SignedIn, pool: PoolDep, templates: TemplatesDep, notice: str = ""
) -> Response:
    target = await _target(request, pool, user, user_id)
    context = {"member": _out(target, user), "notice": NOTICES.get(notice, "")}
    return templates.TemplateResponse(request, "manage_users/user.html", context)


@router.get("/api/v1/manage-users/{user_id}", response_model=ManagedUserOut, summary="One user you manage", **_JSON_DOCS)
async def user_api(request: Request, user_id: str, user: SignedIn, pool: PoolDep) -> ManagedUserOut:
    return _out(await _target(request, pool, user, user_id), user)


# --- Reset Registration ----------------------------------------------------------------------
@router.get("/manage-users/{user_id}/reset-registration", include_in_schema=False)
async def confirm_page(
    request: Request, user_id: str, user: SignedIn, pool: PoolDep, templates: TemplatesDep, signer: SignerDep
) -> Response:
    target = await _target(request, pool, user, user_id)
    context = {"member": _out(target, user), CSRF_FIELD: signer.csrf_token(request.state.browser_id)}
    return templates.TemplateResponse(request, "manage_users/confirm.html", context)


@router.post("/manage-users/{user_id}/reset-registration", include_in_schema=False)
async def reset_form(
    request: Request, user_id: str, user: SignedIn, pool: PoolDep, flows: FlowsDep, settings: SettingsDep,
    templates: TemplatesDep, signer: SignerDep,
    csrf_token: Annotated[str | None, Form()] = None, password: Annotated[str, Form()] = "",
) -> Response:
    flows.check_csrf(request, csrf_token)
    target = await _target(request, pool, user, user_id)
    refusal = await _confirmation_refused(request, pool, user, target, password)
    if refusal is not None:
        context = {"member": _out(target, user), "error": refusal.detail, CSRF_FIELD: signer.csrf_token(request.state.browser_id)}
        return templates.TemplateResponse(request, "manage_users/confirm.html", context, status_code=refusal.status_code)
    await _reset(request, settings, user, target)
    return flows.redirect(f"/manage-users/{target.id}?notice=reset_started")


@router.post(
    "/api/v1/manage-users/{user_id}/reset-registration", response_model=ManagedUserOut, status_code=202,
    summary="Reset Registration: clear the user's MFA registration, end their sign-ins, email a link to register again",
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": ResetBody.model_json_schema()}}}},
    responses={
        **_JSON_DOCS["responses"], 409: {"description": NOT_ACTIVE}, 415: {"description": "The body is not application/json."},
        422: {"description": "Resetting another administrator: your own password is missing or wrong."},
        429: {"description": "Too many wrong passwords: try again later."},
    },
)
async def reset_api(
    request: Request, user_id: str, user: SignedIn, pool: PoolDep, flows: FlowsDep, settings: SettingsDep
) -> Response:
    flows.check_csrf(request, None)
    target = await _target(request, pool, user, user_id)
    password = await _password_in(request)
    refusal = await _confirmation_refused(request, pool, user, target, password)
    if refusal is not None:
        raise refusal
    await _reset(request, settings, user, target)
    async with pool.acquire() as conn:
        target = await managed_user(conn, user.id, target.id) or target
    return JSONResponse(_out(target, user).model_dump(mode="json"), status_code=202)


# --- what the screens share ------------------------------------------------------------------
async def _listing(request: Request, pool: asyncpg.Pool, user: SessionUser) -> ManageUsersOut:
    async with pool.acquire() as conn:
        if not await administers_any(conn, user.id):
            await _deny(request, conn, user, "", "not_admin")
        members = await managed_by(conn, user.id)
    grouped = itertools.groupby(members, key=lambda m: (m.provider_id, m.provider_npi, m.provider_name))
    return ManageUsersOut(
        providers=[
            ProviderUsersOut(npi=npi, name=name, users=[_out(m, user) for m in group])
            for (_, npi, name), group in grouped
        ]
    )


async def _target(request: Request, pool: asyncpg.Pool, user: SessionUser, requested: str) -> ManagedUser:
    """The user ``requested`` names, if the signed-in admin may act on them; otherwise 403."""
    async with pool.acquire() as conn:
        if not await administers_any(conn, user.id):
            await _deny(request, conn, user, requested, "not_admin")
        try:
            user_id = UUID(requested)
        except ValueError:
            await _deny(request, conn, user, requested, "malformed_id")
        target = await managed_user(conn, user.id, user_id)
        if target is None:
            await _deny(request, conn, user, requested, "self" if user_id == user.id else "not_managed")
    return target


async def _deny(request: Request, conn: asyncpg.Connection, user: SessionUser, requested: str, reason: str) -> None:
    # The requested id is whatever the client sent: kept short, never used to look anything up twice.
    detail = {"requested_id": requested[:_REQUESTED_ID_MAX], "reason": reason, "path": request.url.path[:200]}
    await audit.record(conn, "manage_users.denied", actor=user.id, client_ip=client_ip(request), detail=detail)
    raise HTTPException(403, FORBIDDEN)


async def _password_in(request: Request) -> str:
    """The administrator's own password from the JSON body, "" without one. Read here, after
    the content type was checked, so a form posted to the JSON twin is a 415."""
    raw = await request.body()
    if not raw.strip():
        return ""
    try:
        body = ResetBody.model_validate_json(raw)
    except ValueError:
        raise HTTPException(400, 'Send {"password": "..."} or nothing.') from None
    return body.password.get_secret_value() if body.password is not None else ""


async def _confirmation_refused(
    request: Request, pool: asyncpg.Pool, admin: SessionUser, target: ManagedUser, password: str
) -> HTTPException | None:
    """Why this reset may not go ahead as asked (audited), or None. Staff, and users who
    also belong to a provider this administrator does not administer, are not theirs to
    reset; another administrator is, with this administrator's own password again."""
    if not target.resettable:
        async with pool.acquire() as conn:
            detail = {"requested_id": str(target.id), "reason": "not_resettable", "path": request.url.path[:200]}
            await audit.record(conn, "manage_users.denied", actor=admin.id, client_ip=client_ip(request), detail=detail)
        return HTTPException(403, NOT_RESETTABLE)
    if not target.is_admin:
        return None
    try:
        confirmed = await password_confirms(request, pool, admin, password)
    except Throttled as throttled:
        return HTTPException(429, throttled.message)
    return None if confirmed else HTTPException(422, PASSWORD_NEEDED if not password else WRONG_PASSWORD)


async def _reset(request: Request, settings: Settings, admin: SessionUser, target: ManagedUser) -> None:
    """Start the user's admin reset — or, when one is pending, restart it (one flow per user,
    and two admins resetting at once cannot race) — and wait until it has been applied, so
    the next page shows it."""
    if target.status != "active":
        raise HTTPException(409, NOT_ACTIVE)
    client = await request.app.state.resources.temporal()
    await request_reset(client, settings.temporal_task_queue, reset_request(settings, admin, target))


def _out(member: ManagedUser, viewer: SessionUser) -> ManagedUserOut:
    reset = None
    if member.reset_state is not None and member.reset_requested_at is not None:
        reset = ResetOut(state=member.reset_state, requested_at=member.reset_requested_at, ended_at=member.reset_ended_at)
    return ManagedUserOut(
        id=str(member.id),
        username=member.username,
        first_name=member.first_name,
        last_name=member.last_name,
        email=mask_email(member.email) if member.email else "",
        status=member.status,
        mfa_method=member.mfa_method,
        is_admin=member.is_admin,
        is_you=member.id == viewer.id,
        resettable=member.resettable,
        reset=reset,
    )

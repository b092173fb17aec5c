"""A person's passkeys from the home page (issue 10), each after the password typed again:
add one (an enrollment flow at its passkey step does the rest: "add_passkey" for someone who
signs in with passkeys already, "switch_to_passkey" for someone who used another method,
with new recovery codes after it), or remove one — never the last of someone who signs in
with passkeys. A removal is audited and emailed."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, SecretStr
from webauthn.helpers import base64url_to_bytes

from api.account_changes import password_page, password_refusal, refused, signed_in_account
from api.client_address import client_ip
from api.flow_router import serve_form
from api.flows import Flows, is_api
from api.routes.enrollment import start_for
from api.sessions import SignedIn
from domain.passkeys import RelyingParty
from store import audit, passkeys
from workflows.notices import NoticeTemplate
from workflows.security_notice import PROCESS, SecurityNotice, SecurityNoticeWorkflow

NEW, REMOVE = "/account/passkeys/new", "/account/passkeys/remove"
NOT_HERE = "Passkeys cannot be used at this address of the portal."
NOT_YOURS = "There is no such passkey on your account."
LAST_ONE = "This is your only passkey. Add another one first, or ask your administrator to reset your registration."
ADD_PAGE = {"title": "Add a Passkey", "action": NEW, "button": "Continue",
            "intro": "Type your password again, then create the passkey on this device."}

router = APIRouter(tags=["account"])


class PasswordBody(BaseModel):
    password: SecretStr


class RemoveBody(BaseModel):
    passkey: str  # its id, as the account summary lists it
    password: SecretStr


@router.get(NEW, include_in_schema=False)
async def add_form(request: Request, user: SignedIn) -> Response:
    return password_page(request, "", 200, **ADD_PAGE)


async def _add(request: Request, flows: Flows, body: PasswordBody) -> Response:
    pool, account = await signed_in_account(request)
    if RelyingParty.of(request.app.state.resources.settings.public_base_url) is None:
        return refused(request, "password", NOT_HERE, 409, **ADD_PAGE)
    message, status = await password_refusal(request, pool, account, body.password.get_secret_value())
    if message:
        return refused(request, "password", message, status, **ADD_PAGE)
    purpose = "add_passkey" if account.mfa_method == "passkey" else "switch_to_passkey"
    return await start_for(request, flows, account, purpose, event="mfa.passkey_from_home",
                           next_detail="Create the passkey on this device.")


@router.get(REMOVE, include_in_schema=False)
async def remove_form(request: Request, user: SignedIn, passkey: str = "") -> Response:
    return password_page(request, "", 200, **await _remove_page(request, passkey))


async def _remove(request: Request, flows: Flows, body: RemoveBody) -> Response:
    pool, account = await signed_in_account(request)
    page = await _remove_page(request, body.passkey)
    message, status = await password_refusal(request, pool, account, body.password.get_secret_value())
    if message:
        return refused(request, "password", message, status, **page)
    credential_id = _id_of(body.passkey)
    async with pool.acquire() as conn, conn.transaction():
        name = await passkeys.remove(conn, account.id, credential_id) if credential_id else None
        if name is not None:
            await audit.record(conn, "mfa.passkey_removed", subject=account.id, client_ip=client_ip(request))
    if name is None:
        known = credential_id is not None and await _name_of(pool, account.id, credential_id) is not None
        return refused(request, "passkey", LAST_ONE if known else NOT_YOURS, 409, **page)
    notice = SecurityNotice(str(account.id), NoticeTemplate.PASSKEY_REMOVED, account.email or "", {"name": name})
    await flows.start(PROCESS, SecurityNoticeWorkflow.run, notice)
    return JSONResponse({"removed": name}) if is_api(request) else flows.redirect("/home")


async def _remove_page(request: Request, passkey: str) -> dict:
    pool, account = await signed_in_account(request)
    credential_id = _id_of(passkey)
    name = await _name_of(pool, account.id, credential_id) if credential_id else None
    return {"title": "Remove a Passkey", "action": REMOVE, "button": "Remove passkey", "hidden": {"passkey": passkey},
            "intro": f"Type your password again to remove the passkey {name or ''}. It will no longer sign in."}


async def _name_of(pool: asyncpg.Pool, user_id: UUID, credential_id: bytes) -> str | None:
    async with pool.acquire() as conn:
        return await passkeys.named(conn, user_id, credential_id)


def _id_of(passkey: str) -> bytes | None:
    try:
        return base64url_to_bytes(passkey) if passkey else None
    except ValueError:
        return None


serve_form(router, NEW, f"/api/v1{NEW}", PasswordBody, _add, name="add_passkey", summary=(
    "Add a passkey: Password; then the enrollment flow bound to this client makes it (see next)"),
    responses={401: {"description": "Not signed in."}, 409: {"description": NOT_HERE}, 422: {"description": "Wrong password."}})
serve_form(router, REMOVE, f"/api/v1{REMOVE}", RemoveBody, _remove, name="remove_passkey", summary=(
    "Remove a passkey: its id and the password (never the last one of a passkey user)"),
    responses={401: {"description": "Not signed in."}, 409: {"description": LAST_ONE}, 422: {"description": "Wrong password."}})

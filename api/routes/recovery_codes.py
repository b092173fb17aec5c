"""New recovery codes from the home page (issue 10), for someone whose second factor is the
authenticator app or a passkey: they type their password again (a session alone is not
enough: whoever holds a stolen session could otherwise mint codes that outlive it), the old
set stops working, the new one is shown once, and the address on record is told by email."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, SecretStr

from api.account_changes import password_page, password_refusal, refused, signed_in_account
from api.credentials import WRONG_PASSWORD
from api.flow_router import serve_form
from api.flows import Flows, is_api
from api.second_factors import issue_recovery_codes
from api.sessions import SignedIn
from store import recovery_codes
from store.accounts import Account
from workflows.notices import NoticeTemplate
from workflows.security_notice import PROCESS, SecurityNotice, SecurityNoticeWorkflow

PATH = "/account/recovery-codes"
WITH_CODES = ("app", "passkey")  # the methods recovery codes stand in for
NO_APP = "Recovery codes come with an authenticator app or a passkey, and your account uses neither."
PAGE = {
    "title": "Get New Recovery Codes", "action": PATH, "button": "Get new recovery codes",
    "intro": "Type your password again to get a new set of recovery codes. The codes you have now will stop working.",
}

router = APIRouter(tags=["account"])


class NewCodesBody(BaseModel):
    password: SecretStr


class NewCodes(BaseModel):
    recovery_codes: list[str]  # shown this once


async def codes_left(pool: asyncpg.Pool, account: Account) -> int | None:
    """How many unused codes an app or passkey user has; None for anyone else."""
    if account.mfa_method not in WITH_CODES:
        return None
    async with pool.acquire() as conn:
        return (await recovery_codes.left(conn, account.id)).left


@router.get(PATH, include_in_schema=False)
async def password_form(request: Request, user: SignedIn) -> Response:
    return password_page(request, "", 200, **PAGE)


async def _new_codes(request: Request, flows: Flows, body: NewCodesBody) -> Response:
    pool, account = await signed_in_account(request)
    if account.mfa_method not in WITH_CODES:
        return refused(request, "password", NO_APP, 409, **PAGE)
    message, status = await password_refusal(request, pool, account, body.password.get_secret_value())
    if message:
        return refused(request, "password", message, status, **PAGE)
    codes = await issue_recovery_codes(request, str(account.id))
    notice = SecurityNotice(str(account.id), NoticeTemplate.RECOVERY_CODES_ISSUED, account.email or "")
    await flows.start(PROCESS, SecurityNoticeWorkflow.run, notice)
    if is_api(request):
        return JSONResponse(NewCodes(recovery_codes=codes).model_dump(), status_code=201)
    return request.app.state.templates.TemplateResponse(request, "recovery_codes/new.html", {"codes": codes})


serve_form(
    router, PATH, f"/api/v1{PATH}", NewCodesBody, _new_codes, name="new_recovery_codes", status_code=201,
    response_model=NewCodes,
    summary="Get new recovery codes (authenticator-app and passkey users): Password; the old codes stop working",
    responses={401: {"description": "Not signed in."}, 409: {"description": NO_APP},
               422: {"description": WRONG_PASSWORD}, 429: {"description": "Too many wrong passwords."}},
)

"""New recovery codes from the home page (issue 10), for someone whose second factor is the
authenticator app: they type their password again (a session alone is not enough: whoever
holds a stolen session could otherwise mint codes that outlive it), the old set stops
working, the new one is shown once, and the address on record is told by email."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, SecretStr

from api.credentials import CredentialCheck, check_credentials
from api.flow_router import serve_form
from api.flows import Flows, is_api
from api.second_factors import issue_recovery_codes
from api.security import CSRF_FIELD
from api.sessions import SignedIn, SignInRequired, current_user
from api.throttling import POLICIES, Throttled
from store import recovery_codes
from store.accounts import Account, account_by_id
from workflows.notices import RECOVERY_CODES_ISSUED
from workflows.security_notice import PROCESS, SecurityNotice, SecurityNoticeWorkflow

PATH = "/account/recovery-codes"
WRONG_PASSWORD = "Your password is incorrect."
NO_APP = "Recovery codes come with an authenticator app, and your account does not use one."
# The password counts toward the same tries as Login's, per account address and per client.
REAUTHENTICATION = CredentialCheck(POLICIES["login"], "recovery_codes.password_failed", "login.locked_out", ("active",))

router = APIRouter(tags=["account"])


class NewCodesBody(BaseModel):
    password: SecretStr


class NewCodes(BaseModel):
    recovery_codes: list[str]  # shown this once


async def codes_left(pool: asyncpg.Pool, account: Account) -> int | None:
    """How many unused codes an app user has; None for anyone else."""
    if account.mfa_method != "app":
        return None
    async with pool.acquire() as conn:
        return (await recovery_codes.left(conn, account.id)).left


@router.get(PATH, include_in_schema=False)
async def password_form(request: Request, user: SignedIn) -> Response:
    return _page(request, "", 200)


async def _new_codes(request: Request, flows: Flows, body: NewCodesBody) -> Response:
    user = await current_user(request)
    if user is None:
        raise SignInRequired()
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, user.id)
    if account is None or account.mfa_method != "app":
        return _refused(request, NO_APP, 409)

    async def this_account(conn: asyncpg.Connection) -> Account | None:
        return await account_by_id(conn, user.id)

    try:
        typed = account.email or account.username
        proven = await check_credentials(request, pool, REAUTHENTICATION, typed, this_account, body.password.get_secret_value())
    except Throttled as throttled:
        return _refused(request, throttled.message, 429)
    if proven is None:
        return _refused(request, WRONG_PASSWORD, 422)
    codes = await issue_recovery_codes(request, str(account.id))
    notice = SecurityNotice(str(account.id), RECOVERY_CODES_ISSUED, account.email or "")
    await flows.start(PROCESS, SecurityNoticeWorkflow.run, notice)
    if is_api(request):
        return JSONResponse(NewCodes(recovery_codes=codes).model_dump(), status_code=201)
    return request.app.state.templates.TemplateResponse(request, "recovery_codes/new.html", {"codes": codes})


def _refused(request: Request, message: str, status_code: int) -> Response:
    if is_api(request):
        return JSONResponse({"errors": {"password": message}}, status_code=status_code)
    return _page(request, message, status_code)


def _page(request: Request, error: str, status_code: int) -> Response:
    context = {"error": error, CSRF_FIELD: request.app.state.signer.csrf_token(request.state.browser_id)}
    return request.app.state.templates.TemplateResponse(request, "recovery_codes/password.html", context, status_code=status_code)


serve_form(
    router, PATH, f"/api/v1{PATH}", NewCodesBody, _new_codes, name="new_recovery_codes", status_code=201,
    response_model=NewCodes,
    summary="Get new recovery codes (authenticator-app users): Password; the old codes stop working",
    responses={401: {"description": "Not signed in."}, 409: {"description": NO_APP},
               422: {"description": WRONG_PASSWORD}, 429: {"description": "Too many wrong passwords."}},
)

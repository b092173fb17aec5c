"""What the home page's changes to how one signs in share (new recovery codes, a passkey added
or removed): the signed-in account, the password typed again first, and the page that asks
for it (api/templates/account_password.html). A refusal answers on that page, or as JSON."""

from __future__ import annotations

import asyncpg
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from api.credentials import WRONG_PASSWORD, password_again
from api.flows import is_api
from api.security import CSRF_FIELD
from api.sessions import SignInRequired, current_user
from store.accounts import Account, account_by_id


async def signed_in_account(request: Request) -> tuple[asyncpg.Pool, Account]:
    user = await current_user(request)
    if user is None:
        raise SignInRequired()
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, user.id)
    if account is None:
        raise SignInRequired()
    return pool, account


async def password_refusal(request: Request, pool: asyncpg.Pool, account: Account, password: str) -> tuple[str, int]:
    """("", 0) when the password is right; else the message and its status (429: throttled)."""
    refusal = await password_again(request, pool, account, password)
    return refusal, (0 if not refusal else 422 if refusal == WRONG_PASSWORD else 429)


def refused(request: Request, field: str, message: str, status_code: int, **page: object) -> Response:
    if is_api(request):
        return JSONResponse({"errors": {field: message}}, status_code=status_code)
    return password_page(request, message, status_code, **page)


def password_page(request: Request, error: str, status_code: int, **page: object) -> Response:
    """``page``: the title, intro, action, button and any hidden fields."""
    context = {"error": error, "hidden": {}, **page, CSRF_FIELD: request.app.state.signer.csrf_token(request.state.browser_id)}
    return request.app.state.templates.TemplateResponse(request, "account_password.html", context, status_code=status_code)

"""Forgot or Reset Password (guide "Forgot or Reset Password"): Email Address → the emailed
code → Continue → (phone users) Send Code or Call Me → New Password → home. One POST per user
action, each with a JSON twin under /api/v1/password/reset.

Nothing here may tell whether an address belongs to an account: every request starts a flow
(one that delivers nothing for an unknown address), and until the email code is verified the
screens show nothing that depends on whether a code was really sent. Throttles count per
client and per address, never per account, so they lock known and unknown addresses alike.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.action_routes import Action, ActionRoutes, CsrfField
from api.client_address import client_ip
from api.dependencies import FlowsDep
from api.flows import FlowGone, Flows, flow_timings, is_api, view_json
from api.new_password import hashed_new_password
from api.security import CSRF_FIELD, cookie_flags
from api.sessions import claim_sign_in, sign_in
from api.throttling import count_failure, lockout, too_many_attempts
from domain import digests
from domain.email import normalise_email
from domain.errors import FieldError
from engine import search_attributes as sa
from store import audit
from store.accounts import Account, account_by_email, account_by_id
from workflows.code_challenge import MESSAGES, Outcome
from workflows.flow import CODE_SENT, FlowView
from workflows.password_reset import PROCESS, PasswordResetStart, PasswordResetWorkflow

HOME = "/home"
SCREEN = "/password/reset/code"
# The address typed at the start, as a keyed digest bound to the flow: wrong codes count
# against it, and a throttle table full of email addresses would be PII nobody needs.
ADDRESS_COOKIE = "atrezzo_password_reset_address"
_ADDRESS_KEY = "password-reset-addresses"
# Every request may send an email, so every request counts. Many people can share one
# office's IP address, so a client is allowed more than one email address is.
REQUESTS = {"email": 5, "ip": 20}
CODE_FAILURES = {"email": 10, "ip": 30}
WINDOW = timedelta(minutes=15)
# A refusal the flow gave after comparing the code: these are guesses.
MISSED = (MESSAGES[Outcome.WRONG], MESSAGES[Outcome.LOCKED])
NOT_YET = {
    "email_code": "Please verify your email address first.",
    "email_verified": "Please click Continue first.",
    "phone": "Please verify your phone first.",
    "phone_code": "Please verify your phone first.",
    "phone_call": "Please verify your phone first.",
}
STALE = "This step is already complete. Please continue from the current page."
ALREADY_DONE = "This password reset is already complete. Please log in."

router = APIRouter(tags=["password reset"])
_DOCS: dict = {
    "response_model": FlowView,
    "responses": {
        404: {"description": "No password reset is bound to this client, or it has expired."},
        409: {"description": "The reset is complete and its sign-in was claimed already."},
        415: {"description": "The body is not application/json."},
    },
}


class EmailBody(BaseModel):
    email: str


class CodeBody(BaseModel):
    code: str


class PhoneBody(BaseModel):
    channel: str  # "sms" (Send Code) | "voice" (Call Me)


# --- Email Address, Send verification code -----------------------------------------------
@router.get("/password/reset", include_in_schema=False)
async def start_form(request: Request) -> Response:
    return _start_page(request, "", {}, 200)


@router.post("/password/reset", include_in_schema=False)
async def start_page(
    request: Request, flows: FlowsDep, email: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    flows.check_csrf(request, csrf_token)
    return await _start(request, flows, email)


@router.post(
    "/api/v1/password/reset",
    status_code=202,
    summary="Email Address, Send verification code: starts a reset (the same answer for any address)",
    responses={
        202: {"description": "Always this answer; the flow is bound to this client"},
        422: {"description": "Not an email address"},
    },
)
async def start_api(request: Request, flows: FlowsDep, body: EmailBody) -> Response:
    flows.check_csrf(request, None)
    return await _start(request, flows, body.email)


async def _start(request: Request, flows: Flows, typed: str) -> Response:
    try:
        address = normalise_email(typed)
    except FieldError as error:
        return _start_page(request, typed, {error.field: error.message}, 422)
    address_key = _address_key(request, address)
    flow_id = await _start_flow(request, flows, address, address_key)
    if is_api(request):
        response: Response = JSONResponse({"detail": CODE_SENT, "next": f"/api/v1{SCREEN}"}, status_code=202)
    else:
        response = flows.redirect(SCREEN)
    if flow_id is None:
        # Throttled: the same answer, but nothing started and nothing sent. What follows shows
        # no reset, which depends on the client and the address typed — never on an account.
        _unbind(request, response)
        return response
    flows.bind(response, request, PROCESS, flow_id)
    bound_address = request.app.state.signer.sign(f"{flow_id} {address_key}")
    response.set_cookie(ADDRESS_COOKIE, bound_address, **cookie_flags(request))
    return response


async def _start_flow(request: Request, flows: Flows, address: str, address_key: str) -> str | None:
    """The flow started for this request, or None when it was throttled. The same queries and
    the same one start for a known address as for an unknown one."""
    ip = client_ip(request)
    keys = _keys("password_reset", ip, address_key)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        throttled = await lockout(conn, keys.values()) is not None
        if not throttled:
            await _count(conn, keys, REQUESTS)
        account = await account_by_email(conn, address)
        eligible = account if account is not None and _may_reset(account) else None
        await audit.record(
            conn,
            "password_reset.requested",
            subject=eligible.id if eligible is not None else None,
            client_ip=ip,
            detail={"eligible": eligible is not None, "throttled": throttled},
        )
    if throttled:
        return None
    settings = request.app.state.resources.settings
    start = PasswordResetStart(
        account_id=str(eligible.id) if eligible is not None else "",
        # As typed (normalised), even for a known account: the screens show it masked, and
        # the stored spelling ("lee" for a typed "Lee") would tell that the account exists.
        email=address,
        phone=(eligible.mfa_phone or "") if eligible is not None and eligible.mfa_method == "phone" else "",
        timings=flow_timings(settings, idle=settings.login_idle_timeout),
    )
    return await flows.start(PROCESS, PasswordResetWorkflow.run, start)


def _may_reset(account: Account) -> bool:
    # Only a finished MFA registration: a reset must end with the second factor on record
    # (a phone account without its number would skip it), and an unfinished registration
    # continues through "Having trouble logging in?".
    if account.status != "active":
        return False
    return account.mfa_method == "email" or (account.mfa_method == "phone" and bool(account.mfa_phone))


# --- the screens of the flow bound to this client -----------------------------------------
@router.get(SCREEN, include_in_schema=False)
@router.get(f"/api/v1{SCREEN}", summary="The current password reset screen (signs in once it is done)", **_DOCS)
async def screen(request: Request, flows: FlowsDep) -> Response:
    try:
        flow_id = flows.bound_flow(request, PROCESS)
        return await _answer(request, flows, flow_id, await flows.view(flow_id))
    except FlowGone:
        return _expired(request, flows)


@router.post(f"{SCREEN}/verify", include_in_schema=False)
async def verify_form(
    request: Request, flows: FlowsDep, code: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: _verify(request, flows, flow_id, code))


@router.post(f"/api/v1{SCREEN}/verify", summary="Verification Code, Verify code (email or SMS)", **_DOCS)
async def verify_api(request: Request, flows: FlowsDep, body: CodeBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: _verify(request, flows, flow_id, body.code))


@router.post("/password/reset/phone", include_in_schema=False)
async def phone_form(
    request: Request, flows: FlowsDep, channel: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: flows.update(flow_id, "send_phone_code", channel))


@router.post("/api/v1/password/reset/phone", summary="Send Code (sms) or Call Me (voice), to the number on record", **_DOCS)
async def phone_api(request: Request, flows: FlowsDep, body: PhoneBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: flows.update(flow_id, "send_phone_code", body.channel))


# --- the edge's part of each action --------------------------------------------------------
async def _verify(request: Request, flows: Flows, flow_id: str, typed: str) -> FlowView:
    """The flow compares digests; wrong codes also count here, per address and per client,
    across every flow started for that address."""
    keys = _code_keys(request, flow_id)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        wait = await lockout(conn, keys.values())
    if wait is not None:
        return dataclasses.replace(await flows.view(flow_id), errors={"code": too_many_attempts(wait)})
    view = await flows.verify_code(flow_id, typed)
    if view.errors.get("code") in MISSED:
        # Never cleared by a success: a verified email code must not reset the count for
        # someone who holds the mailbox but not the phone.
        async with pool.acquire() as conn, conn.transaction():
            lock = await _count(conn, keys, CODE_FAILURES)
            detail = {"flow": flow_id, "locked": lock is not None}
            await audit.record(conn, "password_reset.code_failed", client_ip=client_ip(request), detail=detail)
    return view


async def _set_password(request: Request, flows: Flows, flow_id: str, password: str, confirm: str) -> FlowView:
    view = await flows.view(flow_id)
    if view.step != "new_password":
        return dataclasses.replace(view, errors={"form": NOT_YET.get(view.step, STALE)})
    try:
        password_hash = await hashed_new_password(await _account_of(request, flow_id), password, confirm)
    except FieldError as error:
        return dataclasses.replace(view, errors={error.field: error.message})
    return await flows.update(flow_id, "set_new_password", password_hash)


async def _account_of(request: Request, flow_id: str) -> Account | None:
    """The account being reset. Only a flow for a known address reaches the new password, and
    only such a flow carries the account id (a search attribute, never a secret)."""
    client = await request.app.state.resources.temporal()
    described = await client.get_workflow_handle(flow_id).describe()
    account_id = described.typed_search_attributes.get(sa.ACCOUNT_ID)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        return await account_by_id(conn, account_id) if account_id else None


# --- throttle keys ------------------------------------------------------------------------
def _address_key(request: Request, address: str) -> str:
    key = digests.derive_key(request.app.state.resources.settings.secret_key, _ADDRESS_KEY)
    return digests.token_digest(key, address.casefold())


def _keys(prefix: str, ip: str | None, address_key: str) -> dict[str, str]:
    return {"email": f"{prefix}:email:{address_key}"} | ({"ip": f"{prefix}:ip:{ip}"} if ip else {})


async def _count(conn: asyncpg.Connection, keys: dict[str, str], limits: dict[str, int]) -> timedelta | None:
    """Count one failure on every key, each against its own limit; the longest lock caused."""
    locks = [await count_failure(conn, [key], limit=limits[kind], window=WINDOW) for kind, key in keys.items()]
    return max((lock for lock in locks if lock is not None), default=None)


def _code_keys(request: Request, flow_id: str) -> dict[str, str]:
    """The address this flow was started for comes from its cookie, which names the flow: a
    cookie from another flow, or none, means this browser did not start this reset."""
    bound = request.app.state.signer.unsign(request.cookies.get(ADDRESS_COOKIE)) or ""
    bound_flow, _, address_key = bound.partition(" ")
    if bound_flow != flow_id or not digests.is_digest(address_key):
        raise FlowGone()
    return _keys("password_reset_code", client_ip(request), address_key)


# --- answering ------------------------------------------------------------------------------
async def _act(request: Request, flows: Flows, csrf_token: str | None, action: Action) -> Response:
    flows.check_csrf(request, csrf_token)
    try:
        flow_id = flows.bound_flow(request, PROCESS)
        return await _answer(request, flows, flow_id, await action(flow_id))
    except FlowGone:
        return _expired(request, flows)


async def _answer(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    if view.step == "done":
        return await _sign_in(request, flows, flow_id, view)
    if view.status in ("failed", "cancelled"):
        view = dataclasses.replace(view, step="expired")
    return flows.respond(request, _shown(view), template_dir=PROCESS)


def _shown(view: FlowView) -> FlowView:
    """Until the email code is verified, what a screen shows must not depend on whether a code
    was really sent: a flow for a known address may still be sending its first one while a
    flow for an unknown address never sends. So the notice is fixed, delivery details (sent,
    expiry, sends left) are left out, and "no code yet" reads as a wrong code — a flow for an
    unknown address always has a (decoy) code."""
    if view.step != "email_code":
        return view
    errors = dict(view.errors)
    if errors.get("code") == MESSAGES[Outcome.NOT_SENT]:
        errors["code"] = MESSAGES[Outcome.WRONG]
    return dataclasses.replace(view, notice=CODE_SENT, code=None, errors=errors)


def _expired(request: Request, flows: Flows) -> Response:
    view = FlowView(process=PROCESS, step="expired", status="failed")
    return flows.respond(request, view, template_dir=PROCESS, status_code=404)


async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    """The new password is set and every other sign-in revoked: the browser that finished
    gets a fresh session, once."""
    account_id = await claim_sign_in(request, flow_id)
    if account_id is None:
        if is_api(request):
            return JSONResponse({"detail": ALREADY_DONE}, status_code=409)
        response: Response = flows.redirect("/")
    else:
        response = JSONResponse(view_json(view)) if is_api(request) else flows.redirect(HOME)
        await sign_in(request, response, account_id)
    _unbind(request, response)
    return response


def _unbind(request: Request, response: Response) -> None:
    path = cookie_flags(request)["path"]
    response.delete_cookie(Flows.cookie_name(PROCESS), path=path)
    response.delete_cookie(ADDRESS_COOKIE, path=path)


def _start_page(request: Request, typed: str, errors: dict[str, str], status_code: int) -> Response:
    if is_api(request):
        return JSONResponse({"detail": "Please check the form.", "errors": errors}, status_code=status_code)
    csrf_token = request.app.state.signer.csrf_token(request.state.browser_id)
    context = {"email": typed, "errors": errors, CSRF_FIELD: csrf_token}
    templates = request.app.state.templates
    return templates.TemplateResponse(request, f"{PROCESS}/email.html", context, status_code=status_code)


# --- buttons and the new password: route pairs of one shape ----------------------------------
_routes = ActionRoutes(router, "/password/reset", "reset_", _act, _DOCS)
_routes.new_password("password", "New Password, Confirm New Password, Continue", _set_password)
_routes.button("code/send", "send_code", "Send new code / send a new code / Call me again (the cooldown and cap apply)")
_routes.button("continue", "continue_reset", "Continue, once the email address is verified")

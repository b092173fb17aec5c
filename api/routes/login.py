"""Login with Phone and Login with Email (guide Sections 3 and 4), and Remember Me (Section 5).

A login button is a GET (/login/phone, /login/email, with remember=on when the box is
checked): a browser remembered for that option is signed in at once; an unchecked box turns
Remember Me off; otherwise "Sign in with your email address". The password is checked here
and never enters a workflow; then the second factor runs as a LoginWorkflow bound to the
browser, its screens under /login, its JSON twins under /api/v1/login.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, SecretStr

from api import login_ticket
from api.client_address import client_ip
from api.code_checks import ChannelBody, CodeBody, CodeCheck, verify_throttled
from api.credentials import LOGIN, USE_KEPRO_BOX, Lookup, check_credentials, is_staff_address, typed_address
from api.flow_router import Action, FlowScreens, serve_form
from api.flow_sign_in import HOME, claim_digest
from api.flow_timings import flow_timings
from api.flows import Binding, Flows, bound_now, is_api
from api.login_sign_in import complete, continue_login
from api.login_ticket import LoginTicket
from api.remember_me import forget, remembered_account
from api.second_factors import dressed_for_passkey, second_factor_actions, with_passkey_options
from api.security import CSRF_FIELD
from api.sessions import sign_in
from api.throttling import POLICIES, Throttled
from domain.email import normalise_email
from domain.errors import FieldError
from settings import Settings
from store import audit
from store.accounts import Account, account_by_email
from workflows.flow import FlowView
from workflows.login import OPTIONS, PROCESS, LoginStart, LoginView, LoginWorkflow

WRONG = "Your email address or password is incorrect."
USE_EMAIL = "You registered with email. Please use Login with Email."
USE_PHONE = "You registered with phone. Please use Login with Phone."
# Whose second factor is neither phone nor email: Login with Email leads to it.
USE_OWN_FACTOR = {
    "app": "You registered with an authenticator app. Please use Login with Email.",
    "passkey": "You registered with a passkey. Please use Login with Email.",
}
UNFINISHED = "You have not completed the Multi-Factor Authentication registration."
# Codes count per account and per client across flows, like passwords: each flow's own limit
# of tries per code would otherwise restart with every new login.
CODE_POLICY = POLICIES["login_code"]

router = APIRouter(tags=["login"])
_SIGN_IN_DOCS: dict = {
    "response_model": LoginView,
    "responses": {
        409: {"description": "MFA registration is not complete: `next` says where to finish it."},
        415: {"description": "The body is not application/json."},
        422: {"description": f"{WRONG} (the same for every failure), or which login option to use."},
    },
}


class LoginButton(BaseModel):
    signed_in: bool  # True: Remember Me signed this client in; False: sign in with the password


class SignInBody(BaseModel):
    email: str
    password: SecretStr
    remember: bool = False


# --- the login buttons and "Sign in with your email address" --------------------------------
def _add_option(option: str) -> None:
    """GET and POST /login/<option>, and their JSON twins."""
    label = "Login with Phone" if option == "phone" else "Login with Email"

    async def button(request: Request, remember: str = "") -> Response:
        return await _button(request, option, remember == "on")

    async def button_api(request: Request, remember: bool = False) -> Response:
        return await _button(request, option, remember)

    path, api_path = f"/login/{option}", f"/api/v1/login/{option}"
    router.add_api_route(path, button, methods=["GET"], name=f"{option}_button", include_in_schema=False)
    router.add_api_route(
        api_path, button_api, methods=["GET"], name=f"{option}_button_api", response_model=LoginButton,
        summary=f"{label} button: signs a client remembered for this option in (remember=false turns Remember Me off)",
    )

    async def sign_in_with(request: Request, flows: Flows, body: SignInBody) -> Response:
        return await _sign_in(request, flows, option, body.email, body.password.get_secret_value(), body.remember)

    serve_form(
        router, path, api_path, SignInBody, sign_in_with, name=f"{option}_sign_in", status_code=201,
        summary=f"{label}: Email Address, Password, Sign in — starts the second factor", **_SIGN_IN_DOCS,
    )


async def _button(request: Request, option: str, remember: bool) -> Response:
    api = is_api(request)
    if remember:
        remembered = await remembered_account(request, option)
        if remembered is not None:
            response = JSONResponse({"signed_in": True}) if api else RedirectResponse(HOME, status_code=303)
            # The session counts its 12 hours from the login that set Remember Me.
            await sign_in(request, response, str(remembered.user_id), authenticated_at=remembered.authenticated_at)
            return response
    response = JSONResponse({"signed_in": False}) if api else _sign_in_page(request, option, remember=remember)
    if not remember:
        await forget(request, response)
    return response


async def _sign_in(request: Request, flows: Flows, option: str, email: str, password: str, remember: bool) -> Response:
    resources = request.app.state.resources
    settings: Settings = resources.settings
    pool = await resources.pool()
    if is_staff_address(settings, email):
        # Not a question of the password: the address alone says which box to use.
        return _refused(request, option, email, remember, USE_KEPRO_BOX)
    try:
        typed = typed_address(email)
        account = await check_credentials(request, pool, LOGIN, typed, _by_email(email), password, option=option)
    except Throttled as throttled:
        return _refused(request, option, email, remember, throttled.message, status_code=429)
    if account is None:
        return _refused(request, option, email, remember, WRONG)
    # From here on the password was right: only now may the answer depend on the account.
    if account.mfa_method is None:
        return await _unfinished(request, pool, account)
    if option == "phone" and account.mfa_method != "phone":
        return _refused(request, option, email, remember, USE_OWN_FACTOR.get(account.mfa_method, USE_EMAIL))
    # An app's or a passkey's user is asked for it (never a weaker emailed code); notices go to the address.
    second_factor = account.mfa_method if account.mfa_method in USE_OWN_FACTOR else ""
    destination = account.mfa_phone if option == "phone" else account.email
    if not destination:
        return _refused(request, option, email, remember, USE_PHONE)
    code_ttl = settings.login_email_code_ttl if option == "email" else settings.enrollment_code_ttl
    timings = flow_timings(settings, code_ttl=code_ttl, idle=settings.login_idle_timeout)
    flow_id = flows.new_id(PROCESS)
    ticket = LoginTicket(Binding(flow_id, str(account.id), bound_now()), remember)
    # The flow hands the sign-in to this browser in its last answer: it knows this browser's claim.
    claim = claim_digest(request, ticket.binding)
    start = LoginStart(str(account.id), option, destination, timings, claim=claim, second_factor=second_factor)
    if is_api(request):
        _, view = await flows.start_showing(PROCESS, LoginWorkflow.run, start, flow_id=flow_id)
        if second_factor == "passkey":  # the ticket that names the account is only being issued
            view = await with_passkey_options(request, flow_id, view, str(account.id), new=False)
        response = flows.respond(request, view, template_dir=PROCESS, status_code=201)
    else:
        await flows.start(PROCESS, LoginWorkflow.run, start, flow_id=flow_id)
        response = flows.redirect("/login")
    async with pool.acquire() as conn:
        detail = {"option": option, "flow": flow_id}
        await audit.record(conn, "login.password_verified", subject=account.id, client_ip=client_ip(request), detail=detail)
    flows.bind(response, request, PROCESS, flow_id)
    login_ticket.issue(request, response, ticket)
    return response


def _by_email(typed: str) -> Lookup:
    async def lookup(conn: asyncpg.Connection) -> Account | None:
        try:
            return await account_by_email(conn, normalise_email(typed))
        except FieldError:
            return None

    return lookup


def _refused(
    request: Request, option: str, email: str, remember: bool, message: str, *, status_code: int = 422
) -> Response:
    if is_api(request):
        return JSONResponse({"errors": {"form": message}}, status_code=status_code)
    # The email stays in its box; the password is never written back.
    return _sign_in_page(request, option, email=email, remember=remember, error=message, status_code=status_code)


async def _unfinished(request: Request, pool: asyncpg.Pool, account: Account) -> Response:
    """Sent to finish MFA registration: an active account without a method (a legacy user, or
    one an administrator reset) through the first-login link; a registration that stopped
    before its method was chosen through "Having trouble logging in?"."""
    next_url = "/first-login" if account.status == "active" else "/help"
    async with pool.acquire() as conn:
        await audit.record(conn, "login.mfa_unfinished", subject=account.id, client_ip=client_ip(request))
    if is_api(request):
        return JSONResponse({"detail": UNFINISHED, "next": next_url}, status_code=409)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "login/unfinished.html", {"next_url": next_url})


def _sign_in_page(
    request: Request, option: str, *, email: str = "", remember: bool = False, error: str = "", status_code: int = 200
) -> Response:
    context = {
        "option": option,
        "email": email,
        "remember": remember,
        "error": error,
        CSRF_FIELD: request.app.state.signer.csrf_token(request.state.browser_id),
    }
    return request.app.state.templates.TemplateResponse(request, "login/sign_in.html", context, status_code=status_code)


for _option in OPTIONS:
    _add_option(_option)


# --- the second factor ------------------------------------------------------------------------
async def _verify(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
    """Verify the code, throttled per account and per client on top of the flow's own limit."""
    return await verify_throttled(request, flows, flow_id, body.code, _code_check(request, flow_id))


def _code_check(request: Request, flow_id: str) -> CodeCheck:
    account_id = login_ticket.of(request, flow_id).binding.account_id
    return CodeCheck(CODE_POLICY, account_id, "login", UUID(account_id))


def _factor_check(request: Request, flows: Flows, flow_id: str) -> tuple[CodeCheck, str]:
    check = _code_check(request, flow_id)
    return check, check.subject


SCREENS = FlowScreens(
    PROCESS, "/login", complete, view=LoginView, dressed=dressed_for_passkey(_factor_check),
    screen_summary="The current login screen (signs in once it is done)",
    actions=(
        Action("phone/send", "Send Code (sms) or Call Me (voice), to the number on record",
               LoginWorkflow.send_phone_code, ChannelBody),
        Action("code/verify", "Verification code, Verify code", body=CodeBody, edge=_verify),
        Action("email/send", "Send verification code, to the address on record", LoginWorkflow.send_email_code),
        Action("code/send", "Send new code / Call me again (the cooldown and cap apply)", LoginWorkflow.send_code),
        Action("continue", "Continue, after \"E-mail address verified\": signs in", edge=continue_login),
        *second_factor_actions(LoginWorkflow, _factor_check),
    ),
)
SCREENS.serve(router)

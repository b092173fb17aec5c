"""Guide Section 1, "Current Portal User; MFA Registration only": an existing user signs in
once with their Atrezzo username and password, then enrolls in MFA (/mfa). One time only:
someone who has an MFA method already is sent to the normal login."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, SecretStr

from api.client_address import client_ip
from api.credentials import FIRST_LOGIN, check_credentials
from api.dependencies import SignerDep, TemplatesDep
from api.flow_router import serve_form
from api.flow_sign_in import claim_digest, new_claim_seed, seeded_claim
from api.flow_timings import flow_timings
from api.flows import Binding, Flows, bound_now, is_api
from api.routes.admin_reset import hand_over
from api.routes.portal import NOTICES
from api.security import CSRF_FIELD, Signer
from api.throttling import Throttled
from settings import Settings
from store import audit
from store.accounts import Account, account_by_username
from workflows.enrollment import PROCESS, EnrollmentStart, MfaEnrollmentWorkflow

TEMPLATE = "first_login/login.html"
WRONG = "The username or password is incorrect."
ALREADY_REGISTERED_URL = "/?notice=mfa_already_registered"
ALREADY_REGISTERED = NOTICES["mfa_already_registered"]
# What ?notice= may show here (a fixed set: the page never echoes text from the request).
FIRST_LOGIN_NOTICES = {
    "admin_reset_link": (
        "Your provider administrator has reset your multi-factor authentication registration. "
        "To register again, enter your Atrezzo username and password and click Login."
    ),
}
# One more than the longest username the database holds: longer input matches no account,
# and throttle keys stay bounded.
_TYPED_USERNAME_MAX = 101

router = APIRouter(tags=["mfa enrollment"])


class FirstLoginBody(BaseModel):
    username: str
    password: SecretStr


@router.get("/first-login", include_in_schema=False)
async def login_form(request: Request, templates: TemplatesDep, signer: SignerDep, notice: str = "") -> Response:
    return _page(request, templates, signer, notice=FIRST_LOGIN_NOTICES.get(notice, ""))


async def _first_login(request: Request, flows: Flows, body: FirstLoginBody) -> Response:
    api = is_api(request)
    resources = request.app.state.resources
    pool = await resources.pool()
    try:
        account = await _authenticate(request, pool, body.username, body.password.get_secret_value())
    except Throttled as throttled:
        return _refused(request, body.username, throttled.message, 429)
    if account is None:
        return _refused(request, body.username, WRONG, 422)
    if account.mfa_method:
        return JSONResponse({"detail": ALREADY_REGISTERED}, status_code=409) if api else flows.redirect(ALREADY_REGISTERED_URL)
    started = await _start_enrollment(request, flows, pool, resources.settings, account)
    if api:
        response = flows.respond(request, await flows.view(started.flow_id), template_dir=PROCESS, status_code=201)
    else:
        response = flows.redirect("/mfa")
    return flows.bind(
        response, request, PROCESS, started.flow_id, account_id=started.account_id, bound_at=started.bound_at,
        claim_seed=started.claim_seed,
    )


serve_form(
    router, "/first-login", "/api/v1/first-login", FirstLoginBody, _first_login, name="first_login", status_code=201,
    summary="Atrezzo username and password of an existing user: starts MFA enrollment",
    responses={
        409: {"description": "MFA is registered already: log in normally"},
        422: {"description": WRONG},
        429: {"description": "Too many attempts from this client for this username: try again later"},
    },
)


def _refused(request: Request, username: str, message: str, status_code: int) -> Response:
    if is_api(request):
        return JSONResponse({"errors": {"form": message}}, status_code=status_code)
    return _page(request, request.app.state.templates, request.app.state.signer, username=username, error=message,
                 status_code=status_code)


async def _authenticate(request: Request, pool: asyncpg.Pool, username: str, password: str) -> Account | None:
    """The account these credentials open, or None (api/credentials.py)."""
    username = username.strip()[:_TYPED_USERNAME_MAX]

    async def lookup(conn: asyncpg.Connection) -> Account | None:
        return await account_by_username(conn, username) if username else None

    return await check_credentials(request, pool, FIRST_LOGIN, username, lookup, password)


async def _start_enrollment(
    request: Request, flows: Flows, pool: asyncpg.Pool, settings: Settings, account: Account
) -> Binding:
    """The enrollment this browser is bound to next, and since when."""
    # A provider administrator's reset that is pending follows its user: it runs the enrollment,
    # started with this browser's claim before its id is known (a seeded claim, as for a link).
    seed = new_claim_seed()
    if handed_over := await hand_over(flows, str(account.id), seeded_claim(request, seed)):
        await _audit_first_login(request, pool, account, handed_over)
        return Binding(handed_over, str(account.id), bound_now(), seed)
    started = Binding(flows.new_id(PROCESS), str(account.id), bound_now())
    start = EnrollmentStart(
        started.account_id,
        purpose="existing_user",
        email=account.email or "",
        email_verified=account.email_verified,
        has_new_password=account.has_new_password,
        requires_terms=False,
        timings=flow_timings(settings),
        # The enrollment hands the sign-in to this browser in its last answer.
        claim=claim_digest(request, started),
    )
    await flows.start(PROCESS, MfaEnrollmentWorkflow.run, start, flow_id=started.flow_id)
    await _audit_first_login(request, pool, account, started.flow_id)
    return started


async def _audit_first_login(request: Request, pool: asyncpg.Pool, account: Account, flow_id: str) -> None:
    async with pool.acquire() as conn:
        await audit.record(
            conn, "mfa.first_login", subject=UUID(str(account.id)), client_ip=client_ip(request), detail={"flow": flow_id}
        )


def _page(
    request: Request,
    templates: Jinja2Templates,
    signer: Signer,
    *,
    username: str = "",
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    context = {"username": username, "error": error, "notice": notice, CSRF_FIELD: signer.csrf_token(request.state.browser_id)}
    return templates.TemplateResponse(request, TEMPLATE, context, status_code=status_code)

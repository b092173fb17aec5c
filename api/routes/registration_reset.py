"""Finishing a registration by emailed link: "Registration Error" → Reset (by username) and
"Having trouble logging in?" (by email and password). Neither screen tells whether an
account exists: the answer is the same text and status whatever was typed, the password is
always checked (against a dummy hash when there is no account), and the flow that sends the
email starts only after the answer has gone out, so timing does not tell either."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.client_address import client_ip
from api.flow_router import serve_form
from api.flow_timings import flow_timings
from api.flows import Flows, is_api
from api.password_work import password_work
from api.security import CSRF_FIELD
from api.throttling import POLICIES, Throttled, reserve
from domain.email import normalise_email
from domain.errors import FieldError
from settings import Settings
from store import audit
from store.accounts import Account, account_by_email, account_by_username
from workflows.registration_reset import REASONS, RegistrationResetWorkflow, ResetStart

router = APIRouter()
log = logging.getLogger("atrezzo.api")

RESET_ANSWER = (
    "If the username belongs to a registration that is not complete, an email has been sent "
    "to the registered email address to complete the registration process."
)
HELP_ANSWER = (
    "If these details match a registration that is not complete, we have sent a link to your "
    "email to continue where you left off."
)
REQUIRED = "This field is required."


class FormErrorsOut(BaseModel):
    detail: str
    errors: dict[str, str] = Field(description="What to correct, by field")


_ANSWERED = {
    202: {"description": "Always this answer, whether or not an email was sent"},
    422: {"model": FormErrorsOut, "description": "A field is missing: nothing was checked or sent"},
}


class ResetBody(BaseModel):
    username: str


class HelpBody(BaseModel):
    email: str
    password: str = Field(repr=False)


# --- Registration Error → Reset -----------------------------------------------------------
@router.get("/register/reset", include_in_schema=False)
async def reset_form(request: Request) -> Response:
    return _page(request, "reset", {}, {}, "", 200)


async def _reset(request: Request, flows: Flows, body: ResetBody) -> Response:
    username = body.username.strip()
    if not username:
        return _page(request, "reset", {}, {"username": REQUIRED}, "", 422)
    async def eligible(conn: asyncpg.Connection) -> Account | None:
        account = await account_by_username(conn, username)
        # Only a registration still pending; finished accounts have login and password reset.
        ok = account is not None and account.status == "pending" and bool(account.email) and not account.is_legacy
        return account if ok else None

    starting = await _answer_later(request, username, eligible, _Starter(request, flows, "registration_error"))
    return _page(request, "reset", {}, {}, RESET_ANSWER, 202 if is_api(request) else 200, then=starting)


serve_form(router, "/register/reset", "/api/v1/registration/reset", ResetBody, _reset, name="registration_reset",
           tags=["registration"], status_code=202, responses=_ANSWERED,
           summary="Registration Error → Reset: email a new link to a registration that is not complete")


# --- Having trouble logging in? ------------------------------------------------------------
@router.get("/help", include_in_schema=False)
async def help_form(request: Request) -> Response:
    return _page(request, "help", {}, {}, "", 200)


async def _help(request: Request, flows: Flows, body: HelpBody) -> Response:
    email, password = body.email, body.password
    errors = {name: REQUIRED for name, value in (("email", email.strip()), ("password", password)) if not value}
    if errors:
        return _page(request, "help", {"email": email}, errors, "", 422)
    try:
        address = normalise_email(email)
    except FieldError:
        address = ""
    async def eligible(conn: asyncpg.Connection) -> Account | None:
        account = await account_by_email(conn, address) if address else None
        # Verified the email and created a password, but never chose a finished MFA method.
        ok = (
            account is not None
            and account.status != "disabled"
            and account.email_verified
            and account.has_new_password
            and account.mfa_method is None
        )
        return account if ok else None

    starting = await _answer_later(
        request, address or email, eligible, _Starter(request, flows, "having_trouble"), password=password
    )
    return _page(request, "help", {}, {}, HELP_ANSWER, 202 if is_api(request) else 200, then=starting)


serve_form(router, "/help", "/api/v1/registration/help", HelpBody, _help, name="registration_help",
           tags=["registration"], status_code=202, responses=_ANSWERED,
           summary="Having trouble logging in?: email a link that resumes an unfinished MFA registration")


# --- shared ----------------------------------------------------------------------------
async def _answer_later(
    request: Request, typed: str, eligible: Callable[[asyncpg.Connection], Awaitable[Account | None]], starter: _Starter,
    *, password: str | None = None,
) -> BackgroundTask | None:
    """Look the account up unless throttled — with ``password``, only if it opens the account
    — and give what starts its flow once the answer is sent. Every request counts, per what
    was typed and per client: each one may send an email."""
    try:
        await reserve(request, POLICIES[starter.policy], typed)
    except Throttled:
        return None
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await eligible(conn)
    if password is not None:
        # One argon2id whatever was found (a dummy one for no account), checked with the
        # connection given back: requests waiting in the check's line hold none of the pool.
        hashed = account.password_hash if account is not None else None
        if not await password_work(request).opens(hashed, password):
            account = None
    async with pool.acquire() as conn:
        # Recorded for every request, so an unknown account costs the same write.
        await audit.record(
            conn,
            "registration.link_requested",
            subject=account.id if account is not None else None,
            client_ip=client_ip(request),
            detail={"reason": starter.reason, "eligible": account is not None},
        )
    return BackgroundTask(starter, account) if account is not None else None


class _Starter:
    """Starts the link flow for one reason ("registration_error" or "having_trouble")."""

    def __init__(self, request: Request, flows: Flows, reason: str) -> None:
        self.flows = flows
        self.settings: Settings = request.app.state.resources.settings
        self.reason = reason
        self.process = REASONS[reason][0]
        self.policy = "registration_reset" if reason == "registration_error" else "help"

    async def __call__(self, account: Account) -> None:
        # A new flow and link each time, while an earlier link keeps working until it expires:
        # the person may have lost the first email, and the throttle bounds how many there are.
        start = ResetStart(
            account_id=str(account.id),
            reason=self.reason,
            email=account.email or "",
            first_name=account.first_name,
            email_verified=account.email_verified,
            has_new_password=account.has_new_password,
            requires_terms=not account.terms_accepted,
            timings=flow_timings(self.settings),
        )
        try:
            await self.flows.start(self.process, RegistrationResetWorkflow.run, start)
        except Exception:  # the answer has gone out; all that is left is to say why nothing followed
            log.exception("could not start a %s flow for account %s", self.process, account.id)



def _page(
    request: Request, screen: str, typed: dict[str, str], errors: dict[str, str], answer: str, status_code: int,
    *, then: BackgroundTask | None = None,
) -> Response:
    if is_api(request):
        body = {"detail": answer} if answer else {"detail": "Please check the form.", "errors": errors}
        return JSONResponse(body, status_code=status_code, background=then)
    signer = request.app.state.signer
    context = {"form": typed, "errors": errors, "answer": answer, CSRF_FIELD: signer.csrf_token(request.state.browser_id)}
    templates = request.app.state.templates
    return templates.TemplateResponse(request, f"registration_reset/{screen}.html", context, status_code=status_code, background=then)

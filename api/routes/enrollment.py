"""MFA enrollment screens (guide Sections 1 and 2) for the enrollment flow bound to this
browser: GET /mfa shows the current step; one POST per user action, each with a JSON twin
under /api/v1/mfa. What needs a secret or a library is done here, at the edge — the email
and phone are normalised, the code and the password hashed — so the flow only ever sees
clean values and digests."""

from __future__ import annotations

import dataclasses
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.action_routes import Action, ActionRoutes, CsrfField
from api.code_checks import CodeCheck, verify_throttled
from api.dependencies import FlowsDep
from api.flow_sign_in import REFUSED, sign_in_from_flow
from api.flows import FlowGone, Flows, is_api, view_json
from api.new_password import set_through_flow
from api.sessions import SignInRefused
from api.throttling import POLICIES
from domain.email import normalise_email
from domain.errors import FieldError
from domain.phone import parse_us_direct_line
from domain.terms import TERMS_VERSION
from store.accounts import account_by_id
from workflows.enrollment import PhoneEntry
from workflows.flow import FlowView

PROCESS = "enrollment"
HOME = "/home"
# The login page words this notice: "You have already registered for multi-factor authentication."
ALREADY_REGISTERED = "/?notice=mfa_already_registered"
SIGN_IN_REFUSED = "/?notice=sign_in_refused"
ALREADY_DONE = "This registration is already complete. Please log in."
STALE = "This step is already complete. Please continue from the current page."
TERMS_UNCHECKED = "Please check the box to confirm that you have read and agree to these terms of use."
EMAIL_STEPS = ("email", "email_code")
PHONE_STEPS = ("phone", "phone_code", "phone_call")
CODE_POLICY = POLICIES["enrollment_code"]

router = APIRouter(tags=["mfa enrollment"])
# Every JSON twin answers with the flow's view; field errors come back in view.errors.
_DOCS: dict = {
    "response_model": FlowView,
    "responses": {
        404: {"description": "No enrollment is bound to this client (never started, or long finished)."},
        409: {"description": "The enrollment is complete and its sign-in was claimed already."},
        415: {"description": "The body is not application/json."},
    },
}


class MethodBody(BaseModel):
    method: str  # "phone" | "email"


class EmailBody(BaseModel):
    email: str


class CodeBody(BaseModel):
    code: str


class PhoneBody(BaseModel):
    phone_number: str
    channel: str  # "sms" (Send Code) | "voice" (Call Me)


class TermsBody(BaseModel):
    accepted: bool


# --- the screen --------------------------------------------------------------------------
@router.get("/mfa", include_in_schema=False)
@router.get("/api/v1/mfa", summary="The current enrollment screen (signs in once it is done)", **_DOCS)
async def screen(request: Request, flows: FlowsDep) -> Response:
    flow_id = flows.bound_flow(request, PROCESS)
    return await _answer(request, flows, flow_id, await flows.view(flow_id))


# --- one handler per user action, form and JSON --------------------------------------------
@router.post("/mfa/method", include_in_schema=False)
async def method_form(
    request: Request, flows: FlowsDep, method: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: flows.update(flow_id, "choose_method", method))


@router.post("/api/v1/mfa/method", summary="Choose PHONE or EMAIL", **_DOCS)
async def method_api(request: Request, flows: FlowsDep, body: MethodBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: flows.update(flow_id, "choose_method", body.method))


@router.post("/mfa/email", include_in_schema=False)
async def email_form(
    request: Request, flows: FlowsDep, email: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: _submit_email(flows, flow_id, email))


@router.post("/api/v1/mfa/email", summary="Email Address, Send verification code", **_DOCS)
async def email_api(request: Request, flows: FlowsDep, body: EmailBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: _submit_email(flows, flow_id, body.email))


@router.post("/mfa/code/verify", include_in_schema=False)
async def verify_form(
    request: Request, flows: FlowsDep, code: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: _verify(request, flows, flow_id, code))


@router.post("/api/v1/mfa/code/verify", summary="Verification Code, Verify code", **_DOCS)
async def verify_api(request: Request, flows: FlowsDep, body: CodeBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: _verify(request, flows, flow_id, body.code))


@router.post("/mfa/phone", include_in_schema=False)
async def phone_form(
    request: Request,
    flows: FlowsDep,
    phone_number: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    csrf_token: CsrfField = None,
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: _submit_phone(flows, flow_id, phone_number, channel))


@router.post("/api/v1/mfa/phone", summary="Phone Number, Send Code (sms) or Call Me (voice)", **_DOCS)
async def phone_api(request: Request, flows: FlowsDep, body: PhoneBody) -> Response:
    return await _act(
        request, flows, None, lambda flow_id: _submit_phone(flows, flow_id, body.phone_number, body.channel)
    )


@router.post("/mfa/terms", include_in_schema=False)
async def terms_form(
    request: Request, flows: FlowsDep, accept: Annotated[str, Form()] = "", csrf_token: CsrfField = None
) -> Response:
    return await _act(request, flows, csrf_token, lambda flow_id: _accept_terms(flows, flow_id, accept == "yes"))


@router.post("/api/v1/mfa/terms", summary="I have read and agree to these terms of use, CONTINUE", **_DOCS)
async def terms_api(request: Request, flows: FlowsDep, body: TermsBody) -> Response:
    return await _act(request, flows, None, lambda flow_id: _accept_terms(flows, flow_id, body.accepted))


# --- the edge's part of each action ----------------------------------------------------------
async def _submit_email(flows: Flows, flow_id: str, typed: str) -> FlowView:
    try:
        email = normalise_email(typed)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, EMAIL_STEPS, email=typed)
    return await flows.update(flow_id, "submit_email", email)


async def _verify(request: Request, flows: Flows, flow_id: str, typed: str) -> FlowView:
    """Codes count per account and per client across enrollments, like login's and reset's."""
    account_id = (await flows.view(flow_id)).fields.get("account_id", "")
    check = CodeCheck(CODE_POLICY, account_id, "mfa", UUID(account_id) if account_id else None)
    return await verify_throttled(request, flows, flow_id, typed, check)


async def _set_password(request: Request, flows: Flows, flow_id: str, password: str, confirm: str) -> FlowView:
    view = await flows.view(flow_id)
    if view.step != "password":
        return dataclasses.replace(view, errors={"form": STALE})
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, view.fields.get("account_id", ""))
    if account is None:
        raise FlowGone()
    try:
        return await set_through_flow(
            pool, flow_id, account, password, confirm, lambda: flows.update(flow_id, "save_password", None),
            also_known=[view.fields.get("email", "")],
        )
    except FieldError as error:
        return _refused(view, error, ("password",))


async def _submit_phone(flows: Flows, flow_id: str, typed: str, channel: str) -> FlowView:
    try:
        number = parse_us_direct_line(typed)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, PHONE_STEPS, phone_number=typed)
    view = await flows.update(flow_id, "submit_phone", PhoneEntry(number, channel))
    # Nothing lost: a refused number stays in the box.
    return _keep(view, phone_number=typed) if view.errors else view


async def _accept_terms(flows: Flows, flow_id: str, accepted: bool) -> FlowView:
    if not accepted:
        return _refused(await flows.view(flow_id), FieldError("accept", TERMS_UNCHECKED), ("terms",))
    return await flows.update(flow_id, "accept_terms", TERMS_VERSION)


def _refused(view: FlowView, error: FieldError, steps: tuple[str, ...], **typed: str) -> FlowView:
    """Input refused here, shown like the flow's own refusals: on its field, with what was
    typed kept — or at the top, when the flow has moved past that screen (a stale tab)."""
    if view.step not in steps:
        return dataclasses.replace(view, errors={"form": STALE})
    return _keep(dataclasses.replace(view, errors={error.field: error.message}), **typed)


def _keep(view: FlowView, **typed: str) -> FlowView:
    return dataclasses.replace(view, fields={**view.fields, **typed})


# --- answering ------------------------------------------------------------------------------
async def _act(request: Request, flows: Flows, csrf_token: str | None, action: Action) -> Response:
    flows.check_csrf(request, csrf_token)
    flow_id = flows.bound_flow(request, PROCESS)
    return await _answer(request, flows, flow_id, await flows.act(flow_id, action))


async def _answer(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    if view.step == "done":
        return await _sign_in(request, flows, flow_id, view)
    if view.status in ("failed", "cancelled"):
        view = dataclasses.replace(view, step="abandoned")
    return flows.respond(request, view, template_dir=PROCESS)


async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    """The enrollment is complete: the browser that finished it is signed in, once — as the
    account it was bound to, and only if no reset ended that account's sign-ins since."""
    try:
        response = JSONResponse(view_json(view)) if is_api(request) else flows.redirect(HOME)
        account_id = await sign_in_from_flow(request, response, flow_id, flows.binding(request, PROCESS, flow_id))
    except SignInRefused:
        response = JSONResponse({"detail": REFUSED}, status_code=403) if is_api(request) else flows.redirect(SIGN_IN_REFUSED)
        account_id = ""
    if account_id is None:
        if is_api(request):
            return JSONResponse({"detail": ALREADY_DONE}, status_code=409)
        return flows.redirect(ALREADY_REGISTERED)
    flows.unbind(response, request, PROCESS)
    return response


# --- buttons and the new password: route pairs of one shape ----------------------------------
_routes = ActionRoutes(router, "/mfa", "", _act, _DOCS)
_routes.new_password("password", "New Password, Confirm New Password, Create", _set_password)
_routes.button("code/send", "send_code", "Send new code / Call me again (the cooldown and cap apply)")
_routes.button("email/on-record", "send_to_email_on_record", "Send verification code, to the address on record (first login, admin reset)")
_routes.button("email/change", "change_email", "Change the email address")
_routes.button("phone/change", "change_phone", "Change the phone number")
_routes.button("use-email", "use_email_instead", "No direct line: use the verified email instead")

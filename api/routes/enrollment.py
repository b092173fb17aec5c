"""MFA enrollment screens (guide Sections 1 and 2) for the enrollment flow bound to this
browser: GET /mfa shows the current step; one POST per user action, each with a JSON twin
under /api/v1/mfa. What needs a secret or a library is done here, at the edge — the email
and phone are normalised, the code and the password hashed — so the flow only ever sees
clean values and digests."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.code_checks import CodeBody, CodeCheck, verify_throttled
from api.flow_router import Action, FlowScreens
from api.flow_sign_in import sign_in_from_flow, signed_in_answer
from api.flows import FlowGone, Flows
from api.new_password import PasswordBody, set_through_flow
from api.throttling import POLICIES
from domain.email import normalise_email
from domain.errors import FieldError
from domain.phone import parse_us_direct_line
from domain.terms import TERMS_VERSION
from store.accounts import account_by_id
from workflows.enrollment import EnrollmentView, MfaEnrollmentWorkflow, PhoneEntry
from workflows.flow import FlowView
from workflows.steps import EnrollmentStep

PROCESS = "enrollment"
# The login page words this notice: "You have already registered for multi-factor authentication."
ALREADY_REGISTERED = "/?notice=mfa_already_registered"
ALREADY_DONE = "This registration is already complete. Please log in."
STALE = "This step is already complete. Please continue from the current page."
TERMS_UNCHECKED = "Please check the box to confirm that you have read and agree to these terms of use."
EMAIL_STEPS = (EnrollmentStep.EMAIL, EnrollmentStep.EMAIL_CODE)
PHONE_STEPS = (EnrollmentStep.PHONE, EnrollmentStep.PHONE_CODE, EnrollmentStep.PHONE_CALL)
CODE_POLICY = POLICIES["enrollment_code"]

# Every JSON twin answers with the flow's view; field errors come back in view.errors.
router = APIRouter(tags=["mfa enrollment"])


class MethodBody(BaseModel):
    method: str  # "phone" | "email"


class EmailBody(BaseModel):
    email: str


class PhoneBody(BaseModel):
    phone_number: str
    channel: str  # "sms" (Send Code) | "voice" (Call Me)


class TermsBody(BaseModel):
    accepted: bool


# --- the edge's part of each action ----------------------------------------------------------
async def _submit_email(request: Request, flows: Flows, flow_id: str, body: EmailBody) -> FlowView:
    try:
        email = normalise_email(body.email)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, EMAIL_STEPS, email_address=body.email)
    return await flows.update(flow_id, MfaEnrollmentWorkflow.submit_email, email)


async def _verify(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
    """Codes count per account and per client across enrollments, like login's and reset's."""
    account_id = (await flows.view(flow_id)).account_id
    check = CodeCheck(CODE_POLICY, account_id, "mfa", UUID(account_id) if account_id else None)
    return await verify_throttled(request, flows, flow_id, body.code, check)


async def _set_password(request: Request, flows: Flows, flow_id: str, body: PasswordBody) -> FlowView:
    view = await flows.view(flow_id)
    if view.step != EnrollmentStep.PASSWORD:
        return view.refused("form", STALE, "stale")
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, view.account_id)
    if account is None:
        raise FlowGone()
    try:
        return await set_through_flow(
            pool, flow_id, account, body, lambda: flows.update(flow_id, MfaEnrollmentWorkflow.save_password, None),
            also_known=[view.email_address],
        )
    except FieldError as error:
        return _refused(view, error, (EnrollmentStep.PASSWORD,))


async def _submit_phone(request: Request, flows: Flows, flow_id: str, body: PhoneBody) -> FlowView:
    typed = body.phone_number
    try:
        number = parse_us_direct_line(typed)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, PHONE_STEPS, phone_number=typed)
    view = await flows.update(flow_id, MfaEnrollmentWorkflow.submit_phone, PhoneEntry(number, body.channel))
    # Nothing lost: a refused number stays in the box.
    return _keep(view, phone_number=typed) if view.errors else view


async def _accept_terms(request: Request, flows: Flows, flow_id: str, body: TermsBody) -> FlowView:
    if not body.accepted:
        return _refused(await flows.view(flow_id), FieldError("accept", TERMS_UNCHECKED), (EnrollmentStep.TERMS,))
    return await flows.update(flow_id, MfaEnrollmentWorkflow.accept_terms, TERMS_VERSION)


def _refused(view: FlowView, error: FieldError, steps: tuple[str, ...], **typed: str) -> FlowView:
    """Input refused here, shown like the flow's own refusals: on its field, with what was
    typed kept — or at the top, when the flow has moved past that screen (a stale tab)."""
    if view.step not in steps:
        return view.refused("form", STALE, "stale")
    return _keep(view.refused(error.field, error.message), **typed)


def _keep(view: FlowView, **typed: str) -> FlowView:
    return dataclasses.replace(view, **typed)


# --- answering ------------------------------------------------------------------------------
async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    """The enrollment is complete: the browser that finished it is signed in, once — as the
    account it was bound to, and only if no reset ended that account's sign-ins since."""

    async def sign(response: Response) -> Response | None:
        bound = flows.binding(request, PROCESS, flow_id)
        account_id = await sign_in_from_flow(request, response, flow_id, bound, granted=view.grant)
        return None if account_id is None else response

    response = await signed_in_answer(request, view, sign, already_done=ALREADY_DONE, claimed_url=ALREADY_REGISTERED)
    flows.unbind(response, request, PROCESS)
    return response


def _abandoned(view: FlowView) -> FlowView:
    return dataclasses.replace(view, step=EnrollmentStep.ABANDONED) if view.status in ("failed", "cancelled") else view


SCREENS = FlowScreens(
    PROCESS, "/mfa", _sign_in, shown=_abandoned, view=EnrollmentView,
    screen_summary="The current enrollment screen (signs in once it is done)",
    actions=(
        Action("method", "Choose PHONE or EMAIL", MfaEnrollmentWorkflow.choose_method, MethodBody),
        Action("email", "Email Address, Send verification code", body=EmailBody, edge=_submit_email),
        Action("code/verify", "Verification Code, Verify code", body=CodeBody, edge=_verify),
        Action("phone", "Phone Number, Send Code (sms) or Call Me (voice)", body=PhoneBody, edge=_submit_phone),
        Action("terms", "I have read and agree to these terms of use, CONTINUE", body=TermsBody, edge=_accept_terms),
        Action("password", "New Password, Confirm New Password, Create", body=PasswordBody, edge=_set_password),
        Action("code/send", "Send new code / Call me again (the cooldown and cap apply)", MfaEnrollmentWorkflow.send_code),
        Action("email/on-record", "Send verification code, to the address on record (first login, admin reset)",
               MfaEnrollmentWorkflow.send_to_email_on_record),
        Action("email/change", "Change the email address", MfaEnrollmentWorkflow.change_email),
        Action("phone/change", "Change the phone number", MfaEnrollmentWorkflow.change_phone),
        Action("use-email", "No direct line: use the verified email instead", MfaEnrollmentWorkflow.use_email_instead),
    ),
)
SCREENS.serve(router)

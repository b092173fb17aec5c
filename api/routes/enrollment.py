"""MFA enrollment screens (guide Sections 1 and 2) for the enrollment flow bound to this
browser: GET /mfa shows the current step; one POST per user action, each with a JSON twin
under /api/v1/mfa. What needs a secret or a library is done here, at the edge — the email
and phone are normalised, the code and the password hashed — so the flow only ever sees
clean values and digests."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.client_address import client_ip
from api.code_checks import CodeBody, CodeCheck, verify_throttled
from api.flow_router import Action, FlowScreens
from api.flow_sign_in import claim_digest, sign_in_from_flow, signed_in_answer
from api.flow_timings import flow_timings
from api.flows import Binding, FlowGone, Flows, bound_now, is_api, press_stamp
from api.new_password import PasswordBody, set_through_flow
from api.second_factors import issue_recovery_codes, passkey_action, with_app_setup, with_passkey_options
from api.throttling import POLICIES
from domain import passkeys
from domain.email import normalise_email
from domain.errors import FieldError
from domain.phone import parse_us_direct_line
from domain.terms import TERMS_VERSION
from store import audit
from store.accounts import Account, account_by_id
from workflows.enrollment import EnrollmentStart, EnrollmentView, MfaEnrollmentWorkflow, PhoneEntry
from workflows.flow import STALE_MESSAGE, STALE_STEP, FlowView
from workflows.steps import EnrollmentStep

PROCESS = "enrollment"
# The login page words this notice: "You have already registered for multi-factor authentication."
ALREADY_REGISTERED = "/?notice=mfa_already_registered"
ALREADY_DONE = "This registration is already complete. Please log in."
ENROLL_NEXT = "Your password has been changed. Now register your multi-factor authentication."
TERMS_UNCHECKED = "Please check the box to confirm that you have read and agree to these terms of use."
EMAIL_STEPS = (EnrollmentStep.EMAIL, EnrollmentStep.EMAIL_CODE)
PHONE_STEPS = (EnrollmentStep.PHONE, EnrollmentStep.PHONE_CODE, EnrollmentStep.PHONE_CALL)
CODE_POLICY = POLICIES["enrollment_code"]
PASSKEYS_UNAVAILABLE = "Passkeys cannot be used at this address of the portal. Please choose another method."

# Every JSON twin answers with the flow's view; field errors come back in view.errors.
router = APIRouter(tags=["mfa enrollment"])


class MethodBody(BaseModel):
    method: str  # "phone" | "email" | "app" (the authenticator app) | "passkey"


class EmailBody(BaseModel):
    email: str


class PhoneBody(BaseModel):
    phone_number: str
    channel: str  # "sms" (Send Code) | "voice" (Call Me)


class TermsBody(BaseModel):
    accepted: bool


# --- the edge's part of each action ----------------------------------------------------------
async def _choose_method(request: Request, flows: Flows, flow_id: str, body: MethodBody) -> FlowView:
    if body.method == "passkey" and passkeys.RelyingParty.of(request.app.state.resources.settings.public_base_url) is None:
        return (await flows.view(flow_id)).refused("method", PASSKEYS_UNAVAILABLE)
    return await flows.update(flow_id, MfaEnrollmentWorkflow.choose_method, body.method)


async def _submit_email(request: Request, flows: Flows, flow_id: str, body: EmailBody) -> FlowView:
    try:
        email = normalise_email(body.email)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, EMAIL_STEPS, email_address=body.email)
    return await flows.update(flow_id, MfaEnrollmentWorkflow.submit_email, email, press_stamp())


async def _verify(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
    """Codes count per account and per client across enrollments, like login's and reset's."""
    return await verify_throttled(request, flows, flow_id, body.code, await _code_check(request, flows, flow_id))


async def _verify_app(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
    """The first code from the app being set up, throttled as every code; when it is right,
    the answer carries the person's recovery codes, the one time they are shown."""
    check = await _code_check(request, flows, flow_id)
    view = await verify_throttled(request, flows, flow_id, body.code, check, update=MfaEnrollmentWorkflow.verify_app_code)
    return await _codes_once_set_up(request, flow_id, view)


async def _codes_once_set_up(request: Request, flow_id: str, view: FlowView) -> FlowView:
    """The app or the passkey was just set up: the answer carries the recovery codes, once."""
    if view.step != EnrollmentStep.RECOVERY_CODES or view.errors or not isinstance(view, EnrollmentView):
        return view
    return _with_new_codes(view, await issue_recovery_codes(request, view.account_id, flow_id=flow_id))


async def _new_recovery_codes(request: Request, flows: Flows, flow_id: str, body: None) -> FlowView:
    """Show new codes (the page was reloaded, or its answer lost): the ones shown before stop working."""
    view = await flows.view(flow_id)
    if view.step != EnrollmentStep.RECOVERY_CODES:
        return view.refused("form", STALE_MESSAGE, STALE_STEP)
    return _with_new_codes(view, await issue_recovery_codes(request, view.account_id, flow_id=flow_id))


def _with_new_codes(view: FlowView, codes: list[str]) -> FlowView:
    return dataclasses.replace(view, recovery_codes=codes, notice="")


async def _dressed(request: Request, flows: Flows, flow_id: str, view: FlowView) -> FlowView:
    account_id = view.account_id if isinstance(view, EnrollmentView) else ""
    if view.step == EnrollmentStep.APP and account_id:
        return await with_app_setup(request, view, account_id)
    if view.step == EnrollmentStep.PASSKEY:
        return await with_passkey_options(request, flow_id, view, account_id, new=True)
    return view


async def _set_password(request: Request, flows: Flows, flow_id: str, body: PasswordBody) -> FlowView:
    """One call to the flow: its ``save_password`` refuses a Create sent from another step
    (a stale tab) itself. The policy checks the password against the account as the database
    holds it; by this step the enrollment's email address is the account's (its code, or the
    mailbox on record, proved it)."""
    account_id = await _account_of(request, flows, flow_id)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_id(conn, account_id)
    if account is None:
        raise FlowGone()
    try:
        return await set_through_flow(
            request, flow_id, account, body, lambda: flows.update(flow_id, MfaEnrollmentWorkflow.save_password, None)
        )
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, (EnrollmentStep.PASSWORD,))


async def _code_check(request: Request, flows: Flows, flow_id: str) -> CodeCheck:
    account_id = await _account_of(request, flows, flow_id)
    return CodeCheck(CODE_POLICY, account_id, "mfa", UUID(account_id) if account_id else None)


async def _account_of(request: Request, flows: Flows, flow_id: str) -> str:
    """The account this enrollment is for, as the browser was bound to it (every binding of
    an enrollment names its account: api/flows.py, ``bind``) — no query before the action's
    update; from the flow's view only for a binding without it."""
    binding = flows.binding(request, PROCESS, flow_id)
    if binding is not None and binding.account_id:
        return binding.account_id
    return (await flows.view(flow_id)).account_id


async def _submit_phone(request: Request, flows: Flows, flow_id: str, body: PhoneBody) -> FlowView:
    typed = body.phone_number
    try:
        number = parse_us_direct_line(typed)
    except FieldError as error:
        return _refused(await flows.view(flow_id), error, PHONE_STEPS, phone_number=typed)
    entry = PhoneEntry(number, body.channel, press_stamp())
    view = await flows.update(flow_id, MfaEnrollmentWorkflow.submit_phone, entry)
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
        return view.refused("form", STALE_MESSAGE, STALE_STEP)
    return _keep(view.refused(error.field, error.message), **typed)


def _keep(view: FlowView, **typed: str) -> FlowView:
    return dataclasses.replace(view, **typed)


# --- the enrollment a password reset hands over to ----------------------------------------
async def after_password_reset(request: Request, flows: Flows, account: Account) -> Response:
    """A Section 1 user who forgot their old password: this reset proved the mailbox on
    record (its code went there) and set the password, so the enrollment it hands over to
    asks only for the phone (or email instead)."""
    return await start_for(request, flows, account, "password_reset", email_verified=True, has_new_password=True,
                           event="mfa.after_password_reset", next_detail=ENROLL_NEXT)


async def start_for(request: Request, flows: Flows, account: Account, purpose: str, *, event: str, next_detail: str,
                    **start: bool) -> Response:
    """An enrollment for ``account``, bound to this browser, audited as ``event``, and the
    answer that leads there."""
    settings = request.app.state.resources.settings
    started = Binding(flows.new_id(PROCESS), str(account.id), bound_now())
    arg = EnrollmentStart(
        started.account_id, purpose=purpose, email=account.email or "", timings=flow_timings(settings),
        claim=claim_digest(request, started), **start,
    )
    flow_id = await flows.start(PROCESS, MfaEnrollmentWorkflow.run, arg, flow_id=started.flow_id)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        await audit.record(conn, event, subject=account.id, client_ip=client_ip(request), detail={"flow": flow_id})
    response = JSONResponse({"detail": next_detail, "next": "/api/v1/mfa"}) if is_api(request) else flows.redirect("/mfa")
    return flows.bind(response, request, PROCESS, flow_id, account_id=started.account_id, bound_at=started.bound_at)


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
    PROCESS, "/mfa", _sign_in, shown=_abandoned, dressed=_dressed, view=EnrollmentView,
    screen_summary="The current enrollment screen (signs in once it is done)",
    actions=(
        Action("method", "Choose PHONE, EMAIL, AUTHENTICATOR APP or PASSKEY", body=MethodBody, edge=_choose_method),
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
        Action("app/verify", "Code from the authenticator app, Verify code (answers with the recovery codes, once)",
               body=CodeBody, edge=_verify_app),
        Action("app/new-key", "A new key and QR code for the authenticator app", MfaEnrollmentWorkflow.new_app_key),
        Action("recovery-codes/new", "Show new recovery codes (the ones shown before stop working)", edge=_new_recovery_codes),
        Action("recovery-codes/saved", "I have saved my recovery codes, Continue", MfaEnrollmentWorkflow.recovery_codes_saved),
        passkey_action(MfaEnrollmentWorkflow, new=True, then=_codes_once_set_up),
    ),
)
SCREENS.serve(router)

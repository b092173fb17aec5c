"""Forgot or Reset Password (guide "Forgot or Reset Password"): Email Address → the emailed
code → Continue → a phone's or an app's code (if that is the second factor) → New Password → home.
One POST per user action, each with a JSON twin under /api/v1/password/reset.

Nothing here may tell whether an address belongs to an account: every request starts a flow
(one that delivers nothing for an unknown address), and until the email code is verified the
screens show nothing that depends on whether a code was really sent. Throttles count per
client and per address, never per account, so they lock known and unknown addresses alike.
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api import reset_address
from api.client_address import client_ip
from api.code_checks import ChannelBody, CodeBody, CodeCheck, verify_throttled
from api.credentials import USE_KEPRO_BOX, is_staff_address
from api.flow_router import Action, FlowScreens, serve_form
from api.flow_sign_in import claim_bound, claim_digest, signed_in_answer
from api.flow_timings import flow_timings
from api.flows import Binding, Flows, bound_now, is_api
from api.new_password import PasswordBody, set_through_flow
from api.routes.enrollment import after_password_reset
from api.second_factors import dressed_for_passkey, second_factor_actions
from api.security import CSRF_FIELD
from api.sessions import sign_in
from api.throttling import POLICIES, Throttled, reserve
from domain.email import normalise_email
from domain.errors import FieldError
from engine import search_attributes as sa
from store import audit, staff_identities
from store.accounts import Account, account_by_email, account_by_id
from workflows.code_challenge import MESSAGES, Outcome
from workflows.code_step import CODE_SENT
from workflows.flow import STALE_MESSAGE, FlowView
from workflows.password_reset import PROCESS, PasswordResetStart, PasswordResetWorkflow
from workflows.steps import PasswordResetStep

SCREEN = "/password/reset/code"
_PHONE_SCREENS = (PasswordResetStep.PHONE, PasswordResetStep.PHONE_CODE, PasswordResetStep.PHONE_CALL)
_APP_SCREENS = (PasswordResetStep.APP_CODE, PasswordResetStep.PASSKEY, PasswordResetStep.RECOVERY_CODE)
# What New Password says when pressed on a screen before it.
NOT_YET = {
    PasswordResetStep.EMAIL_CODE: "Please verify your email address first.",
    PasswordResetStep.EMAIL_VERIFIED: "Please click Continue first.",
    **dict.fromkeys(_PHONE_SCREENS, "Please verify your phone first."),
    **dict.fromkeys(_APP_SCREENS, "Please use your authenticator app or passkey first."),
}
ALREADY_DONE = "This password reset is already complete. Please log in."

router = APIRouter(tags=["password reset"])


class EmailBody(BaseModel):
    email: str


# --- Email Address, Send verification code -----------------------------------------------
@router.get("/password/reset", include_in_schema=False)
async def start_form(request: Request) -> Response:
    return _start_page(request, "", {}, 200)


async def _start(request: Request, flows: Flows, body: EmailBody) -> Response:
    typed = body.email
    try:
        address = normalise_email(typed)
    except FieldError as error:
        return _start_page(request, typed, {error.field: error.message}, 422)
    if is_staff_address(request.app.state.resources.settings, address):
        # Staff have no portal password: the address alone says where they sign in.
        return _start_page(request, typed, {"email": USE_KEPRO_BOX}, 422)
    address_key = reset_address.address_key(request, address)
    started = await _start_flow(request, flows, address, address_key)
    if is_api(request):
        response: Response = JSONResponse({"detail": CODE_SENT, "next": f"/api/v1{SCREEN}"}, status_code=202)
    else:
        response = flows.redirect(SCREEN)
    if started is None:
        # Throttled: the same answer, but nothing started and nothing sent. What follows shows
        # no reset, which depends on the client and the address typed — never on an account.
        _unbind(request, response)
        return response
    # The account this reset is for ("" for an unknown address): the only one it may sign in.
    flows.bind(response, request, PROCESS, started.flow_id, account_id=started.account_id, bound_at=started.bound_at)
    reset_address.keep(request, response, started.flow_id, address_key)
    return response


serve_form(
    router, "/password/reset", "/api/v1/password/reset", EmailBody, _start, name="password_reset_start", status_code=202,
    summary="Email Address, Send verification code: starts a reset (the same answer for any address)",
    responses={202: {"description": "Always this answer; the flow is bound to this client"},
               422: {"description": "Not an email address"}},
)


async def _start_flow(request: Request, flows: Flows, address: str, address_key: str) -> Binding | None:
    """The flow started for this request, for the account it resets ("" for none), or None
    when it was throttled. The same queries and the same one start for a known address as
    for an unknown one."""
    ip = client_ip(request)
    try:
        await reserve(request, POLICIES["password_reset"], address_key)
        throttled = False
    except Throttled:
        throttled = True
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        account = await account_by_email(conn, address)
        # Asked whatever the address, so a known one takes the same queries as an unknown one.
        staff = await staff_identities.is_linked(conn, account.id if account is not None else None)
        eligible = account if account is not None and _may_reset(account) and not staff else None
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
    started = Binding(flows.new_id(PROCESS), str(eligible.id) if eligible is not None else "", bound_now())
    start = PasswordResetStart(
        account_id=started.account_id,
        # The code goes to the address on record; the screens show the address as typed
        # (normalised), masked: the stored spelling ("lee" for a typed "Lee") would tell that
        # the account exists.
        email=(eligible.email or address) if eligible is not None else address,
        shown_email=address,
        phone=(eligible.mfa_phone or "") if eligible is not None and eligible.mfa_method == "phone" else "",
        second_factor=eligible.mfa_method if eligible is not None and eligible.mfa_method in ("app", "passkey") else "",
        timings=flow_timings(settings, idle=settings.login_idle_timeout),
        # The flow hands the sign-in to this browser in its last answer.
        claim=claim_digest(request, started),
    )
    await flows.start(PROCESS, PasswordResetWorkflow.run, start, flow_id=started.flow_id)
    return started


def _may_reset(account: Account) -> bool:
    # An active account: with its second factor on record (a phone account without its number
    # would skip it), or with none yet — a user from before MFA, or one an administrator reset,
    # who goes on to register it. An unfinished registration goes through "Having trouble".
    if account.status != "active":
        return False
    return account.mfa_method in (None, "email", "app", "passkey") or (account.mfa_method == "phone" and bool(account.mfa_phone))


# --- the edge's part of each action --------------------------------------------------------
async def _verify(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
    """The flow compares digests; tries also count here, per address and per client, across
    every flow started for that address (and a success does not wipe them: see the policy)."""
    return await verify_throttled(request, flows, flow_id, body.code, _code_check(request, flow_id))


def _code_check(request: Request, flow_id: str) -> CodeCheck:
    return CodeCheck(POLICIES["password_reset_code"], reset_address.bound_address(request, flow_id), "password_reset")


def _factor_check(request: Request, flows: Flows, flow_id: str) -> tuple[CodeCheck, str]:
    bound = flows.binding(request, PROCESS, flow_id)  # the account the reset was started for
    return _code_check(request, flow_id), bound.account_id if bound is not None else ""


async def _set_password(request: Request, flows: Flows, flow_id: str, body: PasswordBody) -> FlowView:
    view = await flows.view(flow_id)
    if view.step != PasswordResetStep.NEW_PASSWORD:
        return view.refused("form", NOT_YET.get(view.step, STALE_MESSAGE), "not_yet")
    account = await _account_of(request, flow_id)
    if account is None:
        return view.refused("form", NOT_YET[PasswordResetStep.EMAIL_CODE], "not_yet")
    try:
        return await set_through_flow(
            request, flow_id, account, body, lambda: flows.update(flow_id, PasswordResetWorkflow.save_new_password, None)
        )
    except FieldError as error:
        return view.refused(error.field, error.message)


async def _account_of(request: Request, flow_id: str) -> Account | None:
    """The account being reset. Only a flow for a known address reaches the new password, and
    only such a flow carries the account id (a search attribute, never a secret)."""
    client = await request.app.state.resources.temporal()
    described = await client.get_workflow_handle(flow_id).describe()
    account_id = described.typed_search_attributes.get(sa.ACCOUNT_ID)
    return await _account_by_id(request, account_id) if account_id else None


# --- answering ------------------------------------------------------------------------------
def _shown(view: FlowView) -> FlowView:
    """A flow that failed or was cancelled shows that it expired. Until the email code is
    verified, what a screen shows must not depend on whether a code was really sent: a flow for
    a known address may still be sending its first one while a flow for an unknown address never
    sends. So the notice is fixed, delivery details (sent, expiry, sends left) are left out, "no
    code yet" reads as a wrong code — a flow for an unknown address always has a (decoy) code —
    and a failed delivery says nothing: a decoy never fails, so "we could not send" would name a
    real account. The person can still ask for a new code."""
    if view.status in ("failed", "cancelled"):
        return dataclasses.replace(view, step=PasswordResetStep.EXPIRED)
    if view.step != PasswordResetStep.EMAIL_CODE:
        return view
    shown = dataclasses.replace(view, notice=CODE_SENT, code=None)
    code = view.error_codes.get("code")
    if code in (Outcome.NOT_SENT, Outcome.SENDING):
        return shown.refused("code", MESSAGES[Outcome.WRONG], Outcome.WRONG.value)
    if code in (Outcome.SEND_FAILED, Outcome.SEND_TIMED_OUT):
        return dataclasses.replace(shown, errors={}, error_codes={})
    return shown


def _expired(request: Request, flows: Flows) -> Response:
    view = FlowView(process=PROCESS, step=PasswordResetStep.EXPIRED, status="failed")
    return flows.respond(request, view, template_dir=PROCESS, status_code=404)


async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    """The new password is set and every other sign-in revoked: the browser that finished
    gets a fresh session, once — or, for an account that never registered MFA (a portal user
    from before it), goes on to register it, the email just proven."""

    async def sign(response: Response) -> Response | None:
        account_id = await claim_bound(request, flow_id, flows.binding(request, PROCESS, flow_id), view.grant)
        account = await _account_by_id(request, account_id) if account_id else None
        if account is not None and account.mfa_method is None:
            return await after_password_reset(request, flows, account)
        if account_id is not None:
            # The reset itself ended every other sign-in of the account: its own may follow.
            await sign_in(request, response, account_id)
            return response
        return None

    response = await signed_in_answer(request, view, sign, already_done=ALREADY_DONE, claimed_url="/")
    _unbind(request, response)
    return response


async def _account_by_id(request: Request, account_id: str) -> Account | None:
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        return await account_by_id(conn, account_id)


def _unbind(request: Request, response: Response) -> None:
    Flows.unbind(response, request, PROCESS)
    reset_address.forget(request, response)


def _start_page(request: Request, typed: str, errors: dict[str, str], status_code: int) -> Response:
    if is_api(request):
        return JSONResponse({"detail": "Please check the form.", "errors": errors}, status_code=status_code)
    csrf_token = request.app.state.signer.csrf_token(request.state.browser_id)
    context = {"email": typed, "errors": errors, CSRF_FIELD: csrf_token}
    templates = request.app.state.templates
    return templates.TemplateResponse(request, f"{PROCESS}/email.html", context, status_code=status_code)


SCREENS = FlowScreens(
    PROCESS, "/password/reset", _sign_in, screen=SCREEN, shown=_shown, gone=_expired,
    dressed=dressed_for_passkey(_factor_check),
    responses={404: {"description": "No password reset is bound to this client, or it has expired."}},
    screen_summary="The current password reset screen (signs in once it is done)",
    actions=(
        Action("code/verify", "Verification Code, Verify code (email or SMS)", body=CodeBody, edge=_verify),
        Action("phone", "Send Code (sms) or Call Me (voice), to the number on record",
               PasswordResetWorkflow.send_phone_code, ChannelBody),
        Action("password", "New Password, Confirm New Password, Continue", body=PasswordBody, edge=_set_password),
        Action("code/send", "Send new code / send a new code / Call me again (the cooldown and cap apply)",
               PasswordResetWorkflow.send_code),
        Action("continue", "Continue, once the email address is verified", PasswordResetWorkflow.continue_reset),
        *second_factor_actions(PasswordResetWorkflow, _factor_check),
    ),
)
SCREENS.serve(router)

"""The Kepro box's LOGIN: staff single sign-on by OpenID Connect (workflows/staff_login.py).

GET /staff/login starts the flow, binds it to the browser and sends the browser to the
identity provider; the provider sends it back to GET /staff/callback, where the edge checks
the answer (api/staff_identity.py) and finishes the flow with the identity it vouches for.
The flow's screens (refused, expired, still at the provider) are at /staff. Both are GETs,
as the provider's redirects are: the flow's cookie and the ``state`` bound to it are the
callback's defence against a forged one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from api.client_address import client_ip
from api.dependencies import FlowsDep, SettingsDep
from api.flow_router import FlowScreens
from api.flow_sign_in import claim_digest, new_claim_seed, sign_in_checked
from api.flows import Binding, FlowGone, Flows, bound_now
from api.staff_identity import StaffIdentityProvider, StaffSignInRefused
from api.throttling import POLICIES, Throttled, reserve
from domain.staff_identity import StaffIdentity
from settings import Settings
from store import audit, staff_identities
from workflows.flow import FlowView
from workflows.staff_login import PROCESS, REFUSALS, StaffLoginStart, StaffLoginWorkflow
from workflows.steps import StaffLoginStep

router = APIRouter(tags=["staff sign-in"])
PRESS_LOGIN_AGAIN = "/?notice=kepro_again"


@router.get("/staff/login", include_in_schema=False)
async def login(request: Request, flows: FlowsDep, settings: SettingsDep) -> Response:
    provider = _provider(request)
    try:
        await reserve(request, POLICIES["staff_login"], client_ip(request) or "unknown")
    except Throttled:
        return RedirectResponse("/?notice=kepro_throttled", status_code=303)
    flow_id = flows.new_id(PROCESS)
    try:
        # The provider's page first: when it is unreachable, no flow is left waiting for it.
        destination = await provider.authorization_url(flow_id)
    except StaffSignInRefused:
        return RedirectResponse("/?notice=kepro_unavailable", status_code=303)
    seed = new_claim_seed()
    bound = Binding(flow_id, "", bound_now(), seed)
    start = StaffLoginStart(int(settings.staff_login_timeout.total_seconds()), claim=claim_digest(request, bound))
    await flows.start(PROCESS, StaffLoginWorkflow.run, start, flow_id=flow_id)
    response = RedirectResponse(destination, status_code=303)
    return flows.bind(response, request, PROCESS, flow_id, bound_at=bound.bound_at, claim_seed=seed)


@router.get("/staff/callback", include_in_schema=False)
async def callback(request: Request, flows: FlowsDep, code: str = "", state: str = "", error: str = "") -> Response:
    try:
        flow_id = flows.bound_flow(request, PROCESS)
    except FlowGone:
        # No sign-in under way in this browser: a callback it never asked for, or one whose
        # flow this browser already finished.
        return RedirectResponse(PRESS_LOGIN_AGAIN, status_code=303)
    identity: StaffIdentity | None = None
    if error or not code:
        reason = "provider_error"
    else:
        try:
            identity = await _provider(request).identity(flow_id, code=code, state=state)
            reason = ""
        except StaffSignInRefused as refused:
            reason = refused.code if refused.code in REFUSALS else "token"
            await _audit_refusal(request, flow_id, refused)
    try:
        if identity is None:
            view = await flows.update(flow_id, StaffLoginWorkflow.refuse, reason)
            return await SCREENS.answer(request, flows, flow_id, view)
        view = await flows.update(flow_id, StaffLoginWorkflow.sign_in_as, identity)
    except FlowGone:
        # The flow ended before the provider's answer came (STAFF_LOGIN_TIMEOUT).
        return RedirectResponse(PRESS_LOGIN_AGAIN, status_code=303)
    if not view.grant:
        return await SCREENS.answer(request, flows, flow_id, view)
    return await _sign_in(request, flows, flow_id, view, identity)


@router.get("/staff/logout", include_in_schema=False)
async def provider_logout(request: Request, settings: SettingsDep) -> Response:
    """After signing out of the portal: signing out at the identity provider too."""
    destination = None
    if settings.staff_sign_on:
        try:
            destination = await _provider(request).end_session_url(f"{settings.public_base_url.rstrip('/')}/")
        except StaffSignInRefused:
            destination = None
    return RedirectResponse(destination or "/?notice=signed_out", status_code=303)


async def offers_provider_logout(request: Request, settings: Settings, user_id: UUID) -> bool:
    """Whether signing ``user_id`` out offers signing out of the provider too: a staff
    account, and a provider with an end-session endpoint."""
    if not settings.staff_sign_on:
        return False
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        if not await staff_identities.is_linked(conn, user_id):
            return False
    try:
        return await _provider(request).end_session_url(settings.public_base_url) is not None
    except StaffSignInRefused:
        return False


async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView, identity: StaffIdentity) -> Response:
    """The browser that pressed LOGIN signs in as the account linked to the identity the edge
    checked itself, not as whatever the flow answers (a flow under a stolen id)."""
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        linked = await staff_identities.account_of(conn, identity)
    return await sign_in_checked(request, flows, PROCESS, flow_id, view, linked, detail={"issuer": identity.issuer},
                                 already_done=REFUSALS["state"], again_url=PRESS_LOGIN_AGAIN)


async def _audit_refusal(request: Request, flow_id: str, refused: StaffSignInRefused) -> None:
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        detail = {"flow": flow_id, "code": refused.code, "reason": refused.reason}
        await audit.record(conn, "staff.sign_in_refused", client_ip=client_ip(request), detail=detail)


async def _finished_elsewhere(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    # The flow's screen reached once it is done: the callback's answer was lost. Its sign-in
    # is given only with the identity checked in that callback, so: LOGIN again.
    return RedirectResponse(PRESS_LOGIN_AGAIN, status_code=303)


def _provider(request: Request) -> StaffIdentityProvider:
    provider = request.app.state.resources.staff_identity
    if provider is None:  # STAFF_OIDC_ISSUER is not set: the Kepro box has no LOGIN
        raise HTTPException(404)
    return provider


SCREENS = FlowScreens(
    PROCESS, "/staff", _finished_elsewhere, actions=(), view=FlowView,
    screen_summary="The Kepro sign-in bound to this client: at the provider, refused or expired",
    gone=lambda request, flows: flows.respond(request, FlowView(PROCESS, StaffLoginStep.EXPIRED, "failed"),
                                              template_dir=PROCESS, status_code=404),
)
SCREENS.serve(router)

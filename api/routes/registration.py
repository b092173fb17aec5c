"""New provider registration (guide Section 2), screen by screen: "Specify Your Organization"
(checked here, before any flow exists: the registration code is a secret and never enters
one), "Enter User Information" (an update of the flow), and the emailed link that hands the
browser over to MFA enrollment. The two form screens have JSON twins under /api/v1."""

from __future__ import annotations

import dataclasses

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.dependencies import FlowsDep, SettingsDep, TemplatesDep
from api.emailed_links import LINK_FLOW, LinkQuery, follow_link, opening_link
from api.flow_router import serve_form
from api.flow_sign_in import new_claim_seed, seeded_claim
from api.flow_timings import flow_timings
from api.flows import FlowEnded, FlowGone, Flows, is_api
from api.registration_code import OrganizationRefused, check_registration_code
from api.security import CSRF_FIELD
from api.throttling import POLICIES, Throttled, reserve
from api.user_info_form import InvalidUserInfo, UserInfoForm, user_information
from api.view_json import view_json
from domain.us_states import US_STATES
from settings import Settings
from workflows.flow import STALE_STEP, FlowView
from workflows.registration import PROCESS, ProviderRegistrationWorkflow, RegistrationStart, RegistrationView
from workflows.steps import RegistrationStep

router = APIRouter()
_NOT_BOUND = {404: {"description": "No registration is bound to this client (never started, or long finished)."}}


class OrganizationBody(BaseModel):
    npi: str
    registration_code: str = Field(repr=False)


# --- Create a New Account - Specify Your Organization ------------------------------------
@router.get("/register", include_in_schema=False)
async def organization_form(request: Request) -> Response:
    # Only shows the form: crawlers and prefetchers following the link start nothing.
    return _screen(request, _organization_view(), {}, 200)


async def _organization(request: Request, flows: Flows, body: OrganizationBody) -> Response:
    resources = request.app.state.resources
    try:
        start = await _registration(request, await resources.pool(), resources.settings, body.npi, body.registration_code)
    except OrganizationRefused as refused:
        return _screen(request, _organization_view(refused.errors), {"npi": body.npi}, refused.status_code)
    if not is_api(request):
        flow_id = await flows.start(PROCESS, ProviderRegistrationWorkflow.run, start)  # the browser is redirected
        return flows.bind(flows.redirect("/register/account"), request, PROCESS, flow_id)
    flow_id, view = await flows.start_showing(PROCESS, ProviderRegistrationWorkflow.run, start)
    response = flows.respond(request, view, template_dir=PROCESS, status_code=201)
    return flows.bind(response, request, PROCESS, flow_id)


serve_form(
    router, "/register", "/api/v1/registration", OrganizationBody, _organization, name="registration_organization",
    tags=["registration"], summary="Specify Your Organization: start a registration", status_code=201,
    response_model=RegistrationView,
    responses={422: {"model": RegistrationView, "description": "Bad NPI, or NPI and code do not match"},
               429: {"model": RegistrationView, "description": "Too many attempts"}},
)


async def _registration(request: Request, pool: asyncpg.Pool, settings: Settings, npi: str, code: str) -> RegistrationStart:
    """What a registration starts with, once the organization's code is checked."""
    provider = await check_registration_code(request, pool, npi, code)
    return RegistrationStart(provider.id, provider.npi, provider.name, flow_timings(settings))


def _organization_view(errors: dict[str, str] | None = None) -> RegistrationView:
    return RegistrationView(process=PROCESS, step=RegistrationStep.ORGANIZATION, errors=errors or {})


# --- Create a New Account - Enter User Information ----------------------------------------
@router.get("/register/account", include_in_schema=False)
@router.get("/api/v1/registration", tags=["registration"], summary="The registration's current screen",
            response_model=RegistrationView, responses=_NOT_BOUND)
async def current_screen(request: Request, flows: FlowsDep) -> Response:
    view = await flows.view(flows.bound_flow(request, PROCESS))
    if view.step == RegistrationStep.USER_INFO:
        return _screen(request, view, {}, 200)
    return flows.respond(request, view, template_dir=PROCESS)


async def _submit_user_info(request: Request, flows: Flows, form: UserInfoForm) -> Response:
    """One update of the flow, no query first: the flow adds its own organization and refuses
    a press on a screen it has left."""
    flow_id = flows.bound_flow(request, PROCESS)
    typed = form.model_dump()
    try:
        person = user_information(form)
    except InvalidUserInfo as invalid:
        return await _refused(request, flows, flow_id, typed, invalid.errors, {}, 422)
    try:
        # Each refusal says a username is taken: limited per registration and client.
        attempt = await reserve(request, POLICIES["user_info"], flow_id)
    except Throttled as throttled:
        return await _refused(request, flows, flow_id, typed, {"form": throttled.message}, {"form": "throttled"}, 429)
    try:
        view = await flows.update(flow_id, ProviderRegistrationWorkflow.submit_user_info, person)
    except FlowEnded:
        await attempt.uncounted()
        return flows.respond(request, await flows.view(flow_id), template_dir=PROCESS)  # abandoned, cancelled
    if not view.errors:
        await attempt.succeeded()
        return flows.respond(request, view, template_dir=PROCESS)
    if "form" in view.errors:
        # Refused before anything was tried (sent twice, still saving): no username was told taken.
        await attempt.uncounted()
        if view.error_codes.get("form") == STALE_STEP:
            return flows.respond(request, dataclasses.replace(view, errors={}, error_codes={}), template_dir=PROCESS)
    # Taken username or email: the database said so; the typed values stay on screen.
    return _screen(request, view, typed, 422)


async def _refused(
    request: Request, flows: Flows, flow_id: str, typed: dict[str, str],
    errors: dict[str, str], codes: dict[str, str], status_code: int,
) -> Response:
    """Input refused at the edge, on the screen with what was typed — unless the registration
    has moved on (sent twice, the back button): then where it is now."""
    view = await flows.view(flow_id)
    if view.step != RegistrationStep.USER_INFO:
        return flows.respond(request, view, template_dir=PROCESS)
    return _screen(request, dataclasses.replace(view, errors=errors, error_codes=codes), typed, status_code)


serve_form(
    router, "/register/account", "/api/v1/registration/user-info", UserInfoForm, _submit_user_info,
    name="registration_user_info", tags=["registration"], response_model=RegistrationView,
    summary="Enter User Information: create the pending account and email the link",
    responses={422: {"model": RegistrationView, "description": "Every field that is wrong, with its message"}} | _NOT_BOUND,
)


# --- The emailed link -------------------------------------------------------------------
@router.get("/register/confirm", include_in_schema=False)
async def confirm_link(request: Request, flows: FlowsDep, settings: SettingsDep, templates: TemplatesDep, link: LinkQuery) -> Response:
    # The enrollment the link opens learns this browser's claim with the click, before its id
    # is known: its last answer then signs the browser in (api/flow_sign_in.py).
    seed = new_claim_seed()
    async with opening_link(request) as click:
        opened = await follow_link(flows, settings.secret_key, link, click, claim=seeded_claim(request, seed))
        if opened is None:
            # Support cancelled this registration: "Reset" cannot help (its account is gone).
            page = "cancelled" if await _was_cancelled(flows, link.flow) else "link_expired"
            return templates.TemplateResponse(request, f"registration/{page}.html", {}, status_code=410)
    # The enrollment the link opened is for the account its registration created (the flow's
    # answer, in encrypted payloads): the only one it may sign in.
    return flows.bind(
        flows.redirect("/mfa"), request, "enrollment", opened.enrollment_flow, account_id=opened.account_id, claim_seed=seed
    )


async def _was_cancelled(flows: Flows, flow_id: str) -> bool:
    if not LINK_FLOW.fullmatch(flow_id) or not flow_id.startswith(f"{PROCESS}-"):
        return False
    try:
        return (await flows.view(flow_id)).status == "cancelled"
    except FlowGone:
        return False


def _screen(request: Request, view: FlowView, typed: dict[str, str], status_code: int) -> Response:
    """A form screen, with what the person typed written back into it (never lose input)."""
    if is_api(request):
        return JSONResponse(view_json(view), status_code=status_code)
    signer = request.app.state.signer
    return request.app.state.templates.TemplateResponse(
        request,
        f"{PROCESS}/{view.step}.html",
        {"view": view, "form": typed, "states": US_STATES, CSRF_FIELD: signer.csrf_token(request.state.browser_id)},
        status_code=status_code,
    )

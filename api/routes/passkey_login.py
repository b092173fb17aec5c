"""Sign in with a passkey alone (workflows/passkey_login.py): "Sign in with a passkey" on the
login page starts the flow (counted per client, only slowed: no account is known yet) and
binds it to the browser; /passkey/sign-in shows the ceremony (the browser offers the person's
passkeys for this site); the answer goes to the flow. The browser then signs in as the
owner of the passkey it sent, read here from the database, and only if that is the account
the flow hands over."""

from __future__ import annotations


from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.client_address import client_ip
from api.flow_router import Action, FlowScreens, serve_form
from api.flow_sign_in import claim_digest, new_claim_seed, sign_in_checked
from api.flow_timings import flow_timings
from api.flows import Binding, Flows, bound_now, is_api
from api.second_factors import PasskeyBody, with_passkey_options
from api.throttling import POLICIES, Throttled, reserve
from domain import passkeys
from store import passkeys as stored
from workflows.flow import FlowView
from workflows.passkey_login import PROCESS, PasskeyLoginStart, PasskeyLoginWorkflow
from workflows.passkey_step import PasskeyEntry
from workflows.steps import PasskeyLoginStep

PATH = "/passkey/sign-in"
PRESS_AGAIN = "/?notice=passkey_again"

router = APIRouter(tags=["passkey sign-in"])


class StartBody(BaseModel):
    """Sign in with a passkey (nothing to type)."""


async def _start(request: Request, flows: Flows, body: StartBody) -> Response:
    settings = request.app.state.resources.settings
    if passkeys.RelyingParty.of(settings.public_base_url) is None:
        return _again(request, "Passkeys cannot be used at this address of the portal.", 409)
    try:
        await reserve(request, POLICIES["passkey_login"], client_ip(request) or "unknown")
    except Throttled as throttled:
        return _again(request, throttled.message, 429)
    seed = new_claim_seed()
    bound = Binding(flows.new_id(PROCESS), "", bound_now(), seed)
    start = PasskeyLoginStart(claim=claim_digest(request, bound), timings=flow_timings(settings, idle=settings.login_idle_timeout))
    if is_api(request):
        _, view = await flows.start_showing(PROCESS, PasskeyLoginWorkflow.run, start, flow_id=bound.flow_id)
        response: Response = flows.respond(request, await _dressed(request, flows, bound.flow_id, view),
                                           template_dir=PROCESS, status_code=201)
    else:
        await flows.start(PROCESS, PasskeyLoginWorkflow.run, start, flow_id=bound.flow_id)
        response = flows.redirect(PATH)
    return flows.bind(response, request, PROCESS, bound.flow_id, bound_at=bound.bound_at, claim_seed=seed)


def _again(request: Request, message: str, status_code: int) -> Response:
    if is_api(request):
        return JSONResponse({"errors": {"form": message}}, status_code=status_code)
    return RedirectResponse(PRESS_AGAIN, status_code=303)


async def _dressed(request: Request, flows: Flows, flow_id: str, view: FlowView) -> FlowView:
    # Any of the person's passkeys for this site: the browser lists them (discoverable).
    return await with_passkey_options(request, flow_id, view, "", new=False, anyone=True)


async def _answer(request: Request, flows: Flows, flow_id: str, body: PasskeyBody) -> FlowView:
    # The passkey this browser sent: the only account it may sign in as (see _sign_in).
    request.state.passkey_sent = passkeys.credential_id_of(body.credential)
    return await flows.update(flow_id, PasskeyLoginWorkflow.answer_passkey, PasskeyEntry(body.credential))


async def _sign_in(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    sent = getattr(request.state, "passkey_sent", None)
    if sent is None:
        # The screen of a sign-in that is done: its answer was lost. The passkey again.
        again = RedirectResponse(PRESS_AGAIN, status_code=303)
        Flows.unbind(again, request, PROCESS)
        return again
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        owner = await stored.owner_of(conn, sent)
    return await sign_in_checked(request, flows, PROCESS, flow_id, view, owner, detail={"option": "passkey"},
                                 already_done="This sign-in is already complete.", again_url=PRESS_AGAIN)


serve_form(
    router, PATH, f"/api/v1{PATH}", StartBody, _start, name="passkey_login_start", status_code=201,
    summary="Sign in with a passkey: starts the sign-in; its view carries the ceremony's passkey_options",
    responses={409: {"description": "Passkeys cannot be used at this address."}, 429: {"description": "Too many just now."}},
)
SCREENS = FlowScreens(
    PROCESS, PATH, _sign_in, dressed=_dressed, screen_summary="The passkey sign-in bound to this client",
    actions=(Action("answer", "The browser's answer to passkey_options (signs in once it is accepted)", body=PasskeyBody, edge=_answer),),
    gone=lambda request, flows: flows.respond(request, FlowView(PROCESS, PasskeyLoginStep.EXPIRED, "failed"),
                                              template_dir=PROCESS, status_code=404),
)
SCREENS.serve(router)

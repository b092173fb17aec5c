"""Routes around ChallengeFlow, written the way a process's routes use the Flows adapter:
a page, a start, and one handler per user action, each with its JSON twin under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from api.code_checks import verify_code
from api.dependencies import FlowsDep, SignerDep, TemplatesDep
from tests.support.challenge_flow import ChallengeFlow, ChallengeStart

PROCESS = "challenge"
router = APIRouter()


class StartBody(BaseModel):
    channel: str
    destination: str


class CodeBody(BaseModel):
    code: str


async def _start(request: Request, flows, channel: str, destination: str, *, send: bool = False):
    flow_id = await flows.start(PROCESS, ChallengeFlow.run, ChallengeStart(channel=channel, destination=destination))
    view = await flows.update(flow_id, "send_code", None) if send else await flows.view(flow_id)
    return flows.bind(flows.respond(request, view, template_dir=PROCESS, status_code=201), request, PROCESS, flow_id)


@router.get("/challenge/new")
async def start_form(request: Request, templates: TemplatesDep, signer: SignerDep):
    return templates.TemplateResponse(request, "challenge/start.html", {"csrf_token": signer.csrf_token(request.state.browser_id)})


@router.post("/challenge")
async def start_page(
    request: Request, flows: FlowsDep, channel: Annotated[str, Form()], destination: Annotated[str, Form()],
    csrf_token: Annotated[str | None, Form()] = None,
):
    flows.check_csrf(request, csrf_token)
    # As on the guide's screens, the first code goes out with the address.
    return await _start(request, flows, channel, destination, send=True)


@router.post("/api/v1/challenge")
async def start_api(request: Request, flows: FlowsDep, body: StartBody):
    flows.check_csrf(request, None)
    return await _start(request, flows, body.channel, body.destination)


@router.get("/challenge")
@router.get("/api/v1/challenge")
async def page(request: Request, flows: FlowsDep):
    return flows.respond(request, await flows.view(flows.bound_flow(request, PROCESS)), template_dir=PROCESS)


@router.post("/challenge/send")
async def send_page(request: Request, flows: FlowsDep, csrf_token: Annotated[str | None, Form()] = None):
    flows.check_csrf(request, csrf_token)
    flow_id = flows.bound_flow(request, PROCESS)
    return flows.respond(request, await flows.update(flow_id, "send_code", None), template_dir=PROCESS)


@router.post("/api/v1/challenge/send")
async def send_api(request: Request, flows: FlowsDep):
    flows.check_csrf(request, None)
    flow_id = flows.bound_flow(request, PROCESS)
    return flows.respond(request, await flows.update(flow_id, "send_code", None), template_dir=PROCESS)


@router.post("/challenge/verify")
async def verify_page(
    request: Request, flows: FlowsDep, code: Annotated[str, Form()] = "", csrf_token: Annotated[str | None, Form()] = None
):
    flows.check_csrf(request, csrf_token)
    flow_id = flows.bound_flow(request, PROCESS)
    return flows.respond(request, await verify_code(request, flows, flow_id, code), template_dir=PROCESS)


@router.post("/api/v1/challenge/verify")
async def verify_api(request: Request, flows: FlowsDep, body: CodeBody):
    flows.check_csrf(request, None)
    flow_id = flows.bound_flow(request, PROCESS)
    return flows.respond(request, await verify_code(request, flows, flow_id, body.code), template_dir=PROCESS)

"""Support operations for staff (issue #5 §2): stuck flows by process, step and age, one
flow's timeline, cancel and restart, a user's audit trail. HTML under /operations, JSON
under /api/v1/operations; both call operations.service, which audits every action."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.client_address import client_ip
from api.dependencies import FlowsDep, ResourcesDep, TemplatesDep
from api.flows import is_api
from api.security import CSRF_FIELD
from api.staff import Staff
from operations.actors import staff_actor
from operations.errors import OperationRefused
from operations.filters import flow_filter
from operations.service import Operations
from store.sessions import SessionUser

router = APIRouter()
_TAG = ["operations"]
# Fixed notices for the flow page after an action (never text from the request).
_DONE = {
    "cancelled": "The flow was cancelled. What it left behind is listed in the README's support runbook.",
    "restarted": "The flow was restarted: a new run under the same id, with the same start input.",
}
_STAFF = {401: {"description": "Sign in first."}, 403: {"description": "Staff only (recorded in the audit log)."}}


class FlowAction(BaseModel):
    flow_id: str
    asked_for: str
    old_run_id: str
    status: str
    new_run_id: str = ""


async def _operations(request: Request, resources, user: SessionUser) -> Operations:
    return Operations(await resources.temporal(), await resources.pool(), staff_actor(user.id, client_ip(request)))


def _refused(request: Request, refused: OperationRefused, templates, **page: Any) -> Response:
    if is_api(request):
        return JSONResponse({"detail": refused.message}, status_code=refused.status)
    template = page.pop("template", "message.html")
    context = {"message": refused.message, **page}
    return templates.TemplateResponse(request, template, context, status_code=refused.status)


# --- stuck flows ---------------------------------------------------------------------------
@router.get("/operations", include_in_schema=False)
@router.get("/api/v1/operations/flows", tags=_TAG, summary="Running flows by process, step and age, newest first", responses=_STAFF)
async def stuck_flows(
    request: Request,
    user: Staff,
    resources: ResourcesDep,
    templates: TemplatesDep,
    process: Annotated[str, Query(description="e.g. registration")] = "",
    step: Annotated[str, Query(description="e.g. check_email")] = "",
    older_than: Annotated[str, Query(description="at the current step for longer than this: 15m, 2h, 1d, PT15M")] = "",
) -> Response:
    typed = {"process": process, "step": step, "older_than": older_than}
    ops = await _operations(request, resources, user)
    try:
        rows = await ops.stuck_flows(flow_filter(process, step, older_than))
    except OperationRefused as refused:
        return _refused(request, refused, templates, template="operations/flows.html", rows=[], form=typed, error=refused.message)
    if is_api(request):
        return JSONResponse({"flows": jsonable_encoder(rows)})
    now = datetime.now(timezone.utc)
    return templates.TemplateResponse(request, "operations/flows.html", {"rows": rows, "form": typed, "now": now})


# --- one flow --------------------------------------------------------------------------------
@router.get("/operations/flows/{flow_id}", include_in_schema=False)
@router.get("/api/v1/operations/flows/{flow_id}", tags=_TAG, summary="A flow: status, runs, children and its timeline (no payloads)",
            responses={**_STAFF, 404: {"description": "No such flow."}})
async def show_flow(
    request: Request, flow_id: str, user: Staff, resources: ResourcesDep, templates: TemplatesDep,
    done: Annotated[str, Query(include_in_schema=False)] = "",
) -> Response:
    ops = await _operations(request, resources, user)
    try:
        detail = await ops.show(flow_id)
    except OperationRefused as refused:
        return _refused(request, refused, templates)
    if is_api(request):
        return JSONResponse(jsonable_encoder(detail))
    return _flow_page(request, templates, detail, notice=_DONE.get(done, ""))


def _flow_page(request: Request, templates, detail, *, notice: str = "", error: str = "", status_code: int = 200) -> Response:
    context = {"detail": detail, "notice": notice, "error": error, CSRF_FIELD: request.app.state.signer.csrf_token(request.state.browser_id)}
    return templates.TemplateResponse(request, "operations/flow.html", context, status_code=status_code)


@router.post("/operations/flows/{flow_id}/{action}", include_in_schema=False)
async def act_on_flow_page(
    request: Request, flow_id: str, action: str, user: Staff, resources: ResourcesDep, templates: TemplatesDep, flows: FlowsDep,
    csrf_token: Annotated[str | None, Form()] = None,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    flows.check_csrf(request, csrf_token)
    ops = await _operations(request, resources, user)
    if action not in ("cancel", "restart"):
        return _refused(request, OperationRefused("Choose cancel or restart."), templates)
    if confirm != "yes":
        try:
            detail = await ops.show(flow_id)
        except OperationRefused as refused:
            return _refused(request, refused, templates)
        return _flow_page(request, templates, detail, error=f"Tick the box to confirm the {action}.", status_code=422)
    try:
        await (ops.cancel(flow_id) if action == "cancel" else ops.restart(flow_id))
    except OperationRefused as refused:
        try:
            detail = await ops.show(flow_id)
        except OperationRefused:
            return _refused(request, refused, templates)
        return _flow_page(request, templates, detail, error=refused.message, status_code=refused.status)
    done = "cancelled" if action == "cancel" else "restarted"
    return RedirectResponse(f"/operations/flows/{flow_id}?done={done}", status_code=303)


_API_ACTIONS = {
    "cancel": "Cancel a flow (its root, for a child); the workflow cleans up",
    "restart": "Restart a flow (its root, for a child): same id, same start input, saved progress kept",
}


def _add_api_action(action: str, summary: str) -> None:
    async def endpoint(
        request: Request, flow_id: str, user: Staff, resources: ResourcesDep, templates: TemplatesDep, flows: FlowsDep
    ) -> Response:
        flows.check_csrf(request, None)
        return await _api_action(request, flow_id, user, resources, templates, action)

    router.add_api_route(
        f"/api/v1/operations/flows/{{flow_id}}/{action}", endpoint, methods=["POST"], name=f"{action}_api", tags=_TAG,
        response_model=FlowAction, summary=summary,
        responses={**_STAFF, 404: {"description": "No such flow."}, 409: {"description": "The flow is not running."}},
    )


for _action, _summary in _API_ACTIONS.items():
    _add_api_action(_action, _summary)


async def _api_action(request: Request, flow_id: str, user: SessionUser, resources, templates, action: str) -> Response:
    ops = await _operations(request, resources, user)
    try:
        result = await (ops.cancel(flow_id) if action == "cancel" else ops.restart(flow_id))
    except OperationRefused as refused:
        return _refused(request, refused, templates)
    body = FlowAction(**{k: v for k, v in dataclasses.asdict(result).items() if k in FlowAction.model_fields})
    return JSONResponse(body.model_dump())


# --- a user's audit trail --------------------------------------------------------------------
@router.get("/operations/users", include_in_schema=False)
async def find_user(user: Staff, username: Annotated[str, Query()] = "") -> Response:
    return RedirectResponse(f"/operations/users/{quote(username.strip() or '-', safe='')}", status_code=303)


@router.get("/operations/users/{username}", include_in_schema=False)
@router.get("/api/v1/operations/users/{username}/audit", tags=_TAG, summary="A user's audit trail, newest first, paged",
            responses={**_STAFF, 404: {"description": "No such user."}})
async def user_audit(
    request: Request, username: str, user: Staff, resources: ResourcesDep, templates: TemplatesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, description="next_before from the previous page")] = None,
) -> Response:
    ops = await _operations(request, resources, user)
    try:
        page = await ops.audit_trail(username, limit=limit, before=before)
    except OperationRefused as refused:
        return _refused(request, refused, templates)
    if is_api(request):
        return JSONResponse(jsonable_encoder(page))
    return templates.TemplateResponse(request, "operations/user.html", {"page": page, "limit": limit})

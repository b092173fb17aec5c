"""The screens of a flow bound to the browser, declared once and served once for both kinds of
client. A process names its actions (path, input model, the flow's update or an edge step);
each action is one handler at two paths: the form path takes a form with its CSRF token and
answers the process's template, the /api/v1 twin takes JSON and answers the view as JSON. The
input model is the JSON schema the twin documents and what the form is read into."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from api.dependencies import FlowsDep
from api.error_schema import PROBLEM
from api.flow_sign_in import signed_in_already
from api.flows import FlowGone, Flows, is_api, press_stamp
from api.security import CSRF_FIELD
from api.sessions import current_user
from workflows.flow import FlowView
from workflows.steps import DONE

# The edge's part of an action (normalise, hash, throttle), given what was typed.
Edge = Callable[[Request, Flows, str, Any], Awaitable[FlowView]]
# What the browser that finished the flow gets: a session, the next flow, ...
Finish = Callable[[Request, Flows, str, FlowView], Awaitable[Response]]
_NOT_JSON = {"description": "The body is not application/json."}
_OFF_SCHEMA = {"description": "The body does not fit the schema", "content": {"application/json": {"schema": PROBLEM}}}


@dataclass(frozen=True)
class Action:
    path: str  # below the process's prefix: "code/verify"
    summary: str  # the twin's OpenAPI summary: the guide's labels
    update: Any = None  # the flow's update (Workflow.method), sent the input's one field, or nothing
    body: type[BaseModel] | None = None  # what the person types; None for a button
    edge: Edge | None = None  # instead of ``update``: the edge does its part and updates the flow
    # The update sends a code: its last input is when the API took the press (it says so with
    # a ``pressed_at`` parameter, workflows/code_step.py), and the code's life starts then.
    pressed: bool = dataclasses.field(init=False, default=False)

    def __post_init__(self) -> None:
        if (self.update is None) == (self.edge is None):
            raise TypeError(f"{self.path}: an action either sends an update or has an edge step")
        if self.edge is None and self.body is not None and len(self.body.model_fields) != 1:
            raise TypeError(f"{self.path}: an update without an edge step takes one typed value")
        if callable(self.update):
            object.__setattr__(self, "pressed", "pressed_at" in inspect.signature(self.update).parameters)

    async def run(self, request: Request, flows: Flows, flow_id: str, typed: BaseModel | None) -> FlowView:
        if self.edge is not None:
            return await self.edge(request, flows, flow_id, typed)
        inputs = [next(iter(typed.model_dump().values()))] if typed is not None else []
        if self.pressed:
            inputs.append(press_stamp())
        return await flows.update(flow_id, self.update, *(inputs or [None]))


@dataclass(frozen=True)
class FlowScreens:
    process: str  # also the template folder and the flow's cookie
    prefix: str  # the actions' paths begin with it ("/mfa"), the twins' with "/api/v1" + it
    finish: Finish  # the view says "done"
    actions: tuple[Action, ...]
    screen_summary: str  # the twin of the current screen, for OpenAPI
    view: type[FlowView] = FlowView  # what the process's screens show: the twins' answers
    screen: str = ""  # the current screen's path, when it is not ``prefix``
    shown: Callable[[FlowView], FlowView] = lambda view: view  # what a screen may show of the view
    # What the edge adds to a screen that the flow must not hold (the app's key while it is set
    # up, a passkey ceremony's options), given the flow's id and its view.
    dressed: Callable[[Request, Flows, str, FlowView], Awaitable[FlowView]] | None = None
    gone: Callable[[Request, Flows], Response] | None = None  # no flow bound; None: the app's 404 answer
    responses: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def serve(self, router: APIRouter) -> None:
        async def screen(request: Request, flows: FlowsDep) -> Response:
            return await self._bound(request, flows, lambda flow_id: flows.view(flow_id))

        path = self.screen or self.prefix
        router.add_api_route(path, screen, methods=["GET"], name=f"{self.process}_screen", include_in_schema=False)
        router.add_api_route(f"/api/v1{path}", screen, methods=["GET"], name=f"{self.process}_screen_api",
                             summary=self.screen_summary, response_model=self.view, responses=self._errors(None))
        for action in self.actions:
            handler = self._handler(action)
            name = f"{self.process}_{action.path.replace('/', '_').replace('-', '_')}"
            router.add_api_route(f"{self.prefix}/{action.path}", handler, methods=["POST"], name=name, include_in_schema=False)
            router.add_api_route(
                f"/api/v1{self.prefix}/{action.path}", handler, methods=["POST"], name=f"{name}_api",
                summary=action.summary, openapi_extra=_request_body(action.body), response_model=self.view,
                responses=self._errors(action),
            )

    async def answer(self, request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
        if view.step == DONE:
            return await self.finish(request, flows, flow_id, view)
        shown = self.shown(view)
        if self.dressed is not None:
            shown = await self.dressed(request, flows, flow_id, shown)
        return flows.respond(request, shown, template_dir=self.process)

    def _handler(self, action: Action) -> Callable[..., Awaitable[Response]]:
        async def handler(request: Request, flows: FlowsDep) -> Response:
            typed = await _read_input(request, flows, action.body)
            return await self._bound(request, flows, lambda flow_id: action.run(request, flows, flow_id, typed), act=True)

        return handler

    async def _bound(
        self, request: Request, flows: Flows, step: Callable[[str], Awaitable[FlowView]], *, act: bool = False
    ) -> Response:
        """``step`` on the flow bound to this browser, answered with its next screen; an action
        goes through ``Flows.act`` (a press again after a lost answer sees where it ended)."""
        try:
            flow_id = flows.bound_flow(request, self.process)
            view = await (flows.act(flow_id, step) if act else step(flow_id))
            return await self.answer(request, flows, flow_id, view)
        except FlowGone:
            if await current_user(request) is not None:
                # The flow ended in this browser: the answer that signed it in dropped the
                # flow's cookie, and this press went out after it (a double click), or that
                # answer's page never arrived (its API died between headers and body).
                return signed_in_already(request)
            if self.gone is None:
                raise
            return self.gone(request, flows)

    def _errors(self, action: Action | None) -> dict[int, dict[str, Any]]:
        errors: dict[int, dict[str, Any]] = {
            403: {"description": "The flow is done but its sign-in was refused (it must be logged in again)."},
            404: {"description": f"No {self.process.replace('_', ' ')} is bound to this client (never started, or long finished)."},
            409: {"description": "It is complete and its sign-in was claimed already, or this client is signed in already."},
        }
        if action is not None:
            errors[415] = _NOT_JSON
        if action is not None and action.body is not None:
            errors[400] = _OFF_SCHEMA
        return {**errors, **self.responses}


class UndeclaredAction(LookupError):
    """A template asked for the form path of an action its process does not declare."""


def declared_actions(*screens: FlowScreens) -> Callable[[FlowView, str], str]:
    """What the templates call ``action_of``: ``action_of(view, "code/verify")`` is the form
    path of that action of the view's process, as its FlowScreens declares it ("/mfa/code/verify").
    A form that names an action its process does not declare fails the page, and so the test
    that renders every screen (tests/api/test_flow_router.py), instead of posting to a 404."""
    paths = {(each.process, action.path): f"{each.prefix}/{action.path}" for each in screens for action in each.actions}

    def action_of(view: FlowView, path: str) -> str:
        try:
            return paths[(view.process, path)]
        except KeyError:
            raise UndeclaredAction(f"the {view.process} screens declare no action {path!r}") from None

    return action_of


def serve_form(
    router: APIRouter, path: str, api_path: str, body: type[BaseModel],
    handler: Callable[[Request, Flows, Any], Awaitable[Response]], *, name: str, **twin: Any,
) -> None:
    """A form no flow is bound to yet (it starts one, or checks a password first), read as a
    flow's actions are: one ``handler`` at the form path and at its /api/v1 twin."""

    async def endpoint(request: Request, flows: FlowsDep) -> Response:
        return await handler(request, flows, await _read_input(request, flows, body))

    twin["responses"] = {415: _NOT_JSON, 400: _OFF_SCHEMA, **twin.get("responses", {})}
    router.add_api_route(path, endpoint, methods=["POST"], name=name, include_in_schema=False)
    router.add_api_route(api_path, endpoint, methods=["POST"], name=f"{name}_api", openapi_extra=_request_body(body), **twin)


async def _read_input(request: Request, flows: Flows, model: type[BaseModel] | None) -> BaseModel | None:
    """JSON for the twin (its content type is the CSRF defence); a form with its token
    otherwise. A box left out of a form reads as empty, as the browser means it: the flow
    says what is missing on its screen, where a JSON client gets a 400."""
    if is_api(request):
        flows.check_csrf(request, None)
        if model is None:
            return None
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as exc:
            raise _invalid(exc) from None
    form = await request.form()
    token = form.get(CSRF_FIELD)
    flows.check_csrf(request, token if isinstance(token, str) else None)
    if model is None:
        return None
    values = {name: _form_value(form.get(name), field.annotation) for name, field in model.model_fields.items()}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _form_value(value: Any, annotation: Any) -> Any:
    if isinstance(value, str):
        return value
    return False if annotation is bool else ""  # absent (or a file where text belongs)


def _invalid(exc: ValidationError) -> RequestValidationError:
    # Never the input itself: it may be a password.
    errors = exc.errors(include_input=False, include_url=False)
    return RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors])


def _request_body(model: type[BaseModel] | None) -> dict[str, Any]:
    if model is None:
        return {}
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}

"""The route pairs of a flow's user actions. Every action is a form POST (with the CSRF token)
and its JSON twin under /api/v1 (JSON content type), and both go through the process's own
``act``: it checks the request, finds the flow bound to the browser, runs the action and
answers with the flow's next screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, SecretStr

from api.dependencies import FlowsDep
from api.flows import Flows
from workflows.flow import FlowView

CsrfField = Annotated[str | None, Form()]
Action = Callable[[str], Awaitable[FlowView]]
Act = Callable[[Request, Flows, str | None, Action], Awaitable[Response]]
# Checks and hashes the new password at the edge, then hands the flow only the hash.
SetPassword = Callable[[Request, Flows, str, str, str], Awaitable[FlowView]]


class PasswordBody(BaseModel):
    password: SecretStr
    confirm_password: SecretStr


@dataclass(frozen=True)
class ActionRoutes:
    router: APIRouter
    prefix: str  # the form's path prefix, e.g. "/mfa"; the twin's is "/api/v1" + prefix
    names: str  # prefix of the route names, so processes' routes stay apart
    act: Act
    docs: dict[str, Any]

    def button(self, path: str, update: str, summary: str) -> None:
        """A button with nothing to type (the flow update takes no argument); the twin's body is empty."""

        async def form(request: Request, flows: FlowsDep, csrf_token: CsrfField = None) -> Response:
            return await self.act(request, flows, csrf_token, lambda flow_id: flows.update(flow_id, update, None))

        async def api(request: Request, flows: FlowsDep) -> Response:
            return await self.act(request, flows, None, lambda flow_id: flows.update(flow_id, update, None))

        self._add(path, form, api, update, summary)

    def new_password(self, path: str, summary: str, set_password: SetPassword) -> None:
        """New Password and Confirm New Password."""

        async def form(
            request: Request,
            flows: FlowsDep,
            password: Annotated[str, Form()] = "",
            confirm_password: Annotated[str, Form()] = "",
            csrf_token: CsrfField = None,
        ) -> Response:
            return await self.act(
                request, flows, csrf_token, lambda flow_id: set_password(request, flows, flow_id, password, confirm_password)
            )

        async def api(request: Request, flows: FlowsDep, body: PasswordBody) -> Response:
            password, confirm = body.password.get_secret_value(), body.confirm_password.get_secret_value()
            return await self.act(request, flows, None, lambda flow_id: set_password(request, flows, flow_id, password, confirm))

        self._add(path, form, api, "password", summary)

    def _add(self, path: str, form: Callable, api: Callable, name: str, summary: str) -> None:
        self.router.add_api_route(
            f"{self.prefix}/{path}", form, methods=["POST"], name=f"{self.names}{name}_form", include_in_schema=False
        )
        self.router.add_api_route(
            f"/api/v1{self.prefix}/{path}", api, methods=["POST"], name=f"{self.names}{name}_api", summary=summary, **self.docs
        )

"""The one adapter between HTTP and flows: start a flow, bind it to the browser with a
signed cookie, send it an update, and answer with its view — rendered with the process's
template for a browser, or as JSON under /api/v1/ for programs."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import cookies
from api.flow_queries import query_flow
from api.resources import Unavailable, temporal_outage
from api.security import CSRF_FIELD, CSRF_HEADER, Signer
from api.view_json import view_json
from engine.codec import PayloadRefused
from settings import Settings
from workflows.flow import FIELD_ERROR, FlowView, FlowWorkflow
from workflows.registry import view_type
from workflows.steps import DONE

log = logging.getLogger("atrezzo.api")


class FlowGone(Exception):
    """The browser has no live flow of this process (never started, finished long ago, forged)."""


class FlowEnded(FlowGone):
    """Temporal refused an action because the flow has ended (or never ran)."""


class ActionRefused(Exception):
    """The flow refused a user action, with a message for one field of its screen."""

    def __init__(self, field_name: str, message: str, code: str = "") -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Binding:
    flow_id: str
    account_id: str
    bound_at: datetime
    # Set when the browser's claim was given to the flow before the flow's id was known (an
    # enrollment started by the flow an emailed link opened, or by a pending admin reset): a
    # random value the claim digest is made from instead of the binding's other parts
    # (api/flow_sign_in.py).
    claim_seed: str = ""


# The account a bound flow is for, beside the flow's own cookie (Flows.bind).
_BINDING = "atrezzo_bound_{}"
T = TypeVar("T")
# A worker takes (validates and records) an update in milliseconds; this bounds the wait for one.
_TAKEN_WITHIN = 10.0


class Flows:
    def __init__(self, client: Client, settings: Settings, signer: Signer, templates: Jinja2Templates) -> None:
        self._client = client
        self._settings = settings
        self._signer = signer
        self._templates = templates

    # --- talking to Temporal -------------------------------------------------
    @staticmethod
    def new_id(process: str) -> str:
        return f"{process}-{uuid.uuid4()}"

    async def start(self, process: str, run: Any, arg: Any, *, flow_id: str = "") -> str:
        flow_id = flow_id or self.new_id(process)
        await self._client.start_workflow(
            run, arg, id=flow_id, task_queue=self._settings.temporal_task_queue, task_timeout=self._settings.flow_task_timeout
        )
        return flow_id

    async def start_showing(self, process: str, run: Any, arg: Any, *, flow_id: str = "") -> tuple[str, FlowView]:
        """Start a flow and answer its first screen in one call (update-with-start)."""
        flow_id = flow_id or self.new_id(process)
        starting = WithStartWorkflowOperation(
            run, arg, id=flow_id, id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            task_queue=self._settings.temporal_task_queue, task_timeout=self._settings.flow_task_timeout,
        )
        try:
            view = await self._client.execute_update_with_start_workflow(
                FlowWorkflow.first_screen, start_workflow_operation=starting, result_type=view_type(flow_id)
            )
        except WorkflowUpdateFailedError:
            # A worker from before first_screen (workers are deployed first, but a straggler
            # may take the task): the flow started all the same.
            view = await self.view(flow_id)
        return flow_id, view

    async def view(self, flow_id: str) -> FlowView:
        return await self.query(flow_id, "view", None, view_type(flow_id))

    async def query(self, flow_id: str, name: str, arg: Any, result_type: type[T]) -> T:
        handle = self._client.get_workflow_handle(flow_id)
        args = [] if arg is None else [arg]
        try:
            return await query_flow(handle, name, args, result_type)
        except PayloadRefused as exc:
            raise _forged(flow_id, exc) from None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise FlowGone() from exc
            if temporal_outage(exc):
                # No worker took the query in time (all down, or the flow's task keeps failing).
                raise Unavailable("temporal") from exc
            raise

    async def update(self, flow_id: str, name: str, arg: Any, *more: Any) -> FlowView:
        """Send a user action. A rejected action comes back as the view with the field's error."""
        try:
            return await self.call(flow_id, name, arg, *more, result_type=view_type(flow_id))
        except ActionRefused as refused:
            view = await self.view(flow_id)
            return view.refused(refused.field_name, refused.message, refused.code)

    async def call(
        self, flow_id: str, update: Any, arg: Any, *more: Any, result_type: type | None = None, within: float | None = None
    ) -> Any:
        """An update (``Workflow.method``, or a name with its ``result_type``), answered with its
        own result. Raises ActionRefused with the field and message the flow refused it with,
        and FlowEnded when the flow has ended. With ``within``: Unavailable when no worker takes
        it, and asyncio.TimeoutError when the flow took it but did not answer ``within``
        seconds (it goes on: the answer is late)."""
        handle = self._client.get_workflow_handle(flow_id)
        args = [arg, *more]
        try:
            if within is None:
                return await handle.execute_update(update, args=args, result_type=result_type)
            try:
                taken = await asyncio.wait_for(
                    handle.start_update(update, args=args, wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=result_type),
                    _TAKEN_WITHIN,
                )
            except asyncio.TimeoutError:
                raise Unavailable("temporal") from None
            return await asyncio.wait_for(taken.result(), within)
        except PayloadRefused as exc:
            raise _forged(flow_id, exc) from None
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == FIELD_ERROR:
                details = [str(detail) for detail in cause.details]
                raise ActionRefused(*(details[:1] or ["form"]), cause.message, *details[1:2]) from None
            raise
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise FlowEnded() from exc
            raise

    async def act(self, flow_id: str, action: Callable[[str], Awaitable[FlowView]]) -> FlowView:
        """A person's action on their flow, answered with its view — or, when the flow has
        ended since, with the screen it ended on: the answer to an earlier press may have
        been lost on the way (the API process died mid-request) and this is the press again.
        Only a flow that ended done is shown: its sign-in may still be this browser's."""
        try:
            return await action(flow_id)
        except FlowEnded as ended:
            try:
                view = await self.view(flow_id)
            except (RPCError, FlowGone, Unavailable):
                raise ended from None  # no screen to show either (a flow none of our workers runs)
            if view.step != DONE:  # ended otherwise (abandoned, cancelled): nothing to go on to
                raise
            return view

    async def signal(self, flow_id: str, name: str, arg: Any) -> bool:
        try:
            await self._client.get_workflow_handle(flow_id).signal(name, arg)
            return True
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise

    # --- binding flows to a browser -----------------------------------------
    @staticmethod
    def cookie_name(process: str) -> str:
        return f"atrezzo_flow_{process}"

    def bound_flow(self, request: Request, process: str) -> str:
        flow_id = self._signer.unsign(cookies.read(request, self.cookie_name(process)))
        if not flow_id or not flow_id.startswith(f"{process}-"):
            raise FlowGone()
        return flow_id

    def bind(
        self, response: Response, request: Request, process: str, flow_id: str, *, account_id: str = "",
        bound_at: datetime | None = None, claim_seed: str = "",
    ) -> Response:
        """Bind ``flow_id`` to this browser; with ``account_id``, also which account the edge
        knows this flow to be for (the one whose password it checked), and since when (now, or
        ``bound_at``, the moment the flow was started for it): the sign-in the flow hands over
        at its end must be that account's, and newer than any reset of its sign-ins.
        ``claim_seed``: what the claim the flow was given was made from (Binding)."""
        cookies.write(response, request, self.cookie_name(process), self._signer.sign(flow_id))
        if account_id or claim_seed:
            value = f"{flow_id} {account_id} {to_millis(bound_at or bound_now())}"
            value = f"{value} {claim_seed}" if claim_seed else value
            cookies.write(response, request, _BINDING.format(process), self._signer.sign(value))
        return response

    def binding(self, request: Request, process: str, flow_id: str) -> Binding | None:
        """What ``bind`` recorded with ``account_id`` for this very flow, or None."""
        value = self._signer.unsign(cookies.read(request, _BINDING.format(process))) or ""
        parts = value.split(" ")
        if len(parts) not in (3, 4) or parts[0] != flow_id or not parts[2].isdigit():
            return None
        return Binding(flow_id, parts[1], from_millis(int(parts[2])), *parts[3:])

    @staticmethod
    def unbind(response: Response, request: Request, process: str) -> None:
        for name in (Flows.cookie_name(process), _BINDING.format(process)):
            cookies.forget(response, request, name)

    def check_csrf(self, request: Request, form_token: str | None) -> None:
        """Forms carry a token tied to the browser; JSON calls need the JSON content type,
        which a cross-site page cannot send without a CORS preflight we never grant."""
        if is_api(request):
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise HTTPException(415, "Send application/json.")
            return
        token = form_token or request.headers.get(CSRF_HEADER)
        if not self._signer.csrf_ok(getattr(request.state, "browser_id", None), token):
            raise HTTPException(403, "Your session has expired. Please reload the page and try again.")

    # --- answering -----------------------------------------------------------
    def respond(self, request: Request, view: FlowView, *, template_dir: str, status_code: int = 200) -> Response:
        if is_api(request):
            return JSONResponse(view_json(view), status_code=status_code)
        status_code = 422 if view.errors and status_code == 200 else status_code
        return self._templates.TemplateResponse(
            request,
            f"{template_dir}/{view.step}.html",
            {"view": view, CSRF_FIELD: self._signer.csrf_token(request.state.browser_id)},
            status_code=status_code,
        )

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)


def _forged(flow_id: str, refused: PayloadRefused) -> FlowGone:
    """A flow that answered in clear was not started by this engine: it shows nothing."""
    log.warning("flow %s answered with a payload the codec refused: %s", flow_id, refused)
    return FlowGone()


def bound_now() -> datetime:
    """Now, as a binding keeps it (milliseconds): a claim digest made from it at the start
    matches the one made from the cookie at the end."""
    return from_millis(press_stamp())


def press_stamp() -> int:
    """Now, in ms since the epoch: when the API took a press that sends a code, given to the
    flow with it (its code's life starts then: workflows/code_step.py, ``code_life_start``)."""
    return round(time.time() * 1000)


def to_millis(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, timezone.utc)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


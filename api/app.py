"""The FastAPI application: a thin layer that turns user actions into flow updates."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from markupsafe import Markup
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.emailed_links import LinkStillOpening
from api.error_schema import describe_errors
from api.flow_router import declared_actions
from api.flows import FlowGone, is_api
from api.input_guard import InputGuard
from api.request_telemetry import RequestTelemetry
from api.resources import Resources, Unavailable, database_outage, temporal_outage
from api.routes import codec, enrollment, first_login, health, login, portal, registration, registration_reset, twilio
from api.routes import admin_reset, manage_users, operations, passkey_login, passkeys, password_reset, recovery_codes
from api.routes import staff_login
from api.security import SecurityHeaders, Signer
from api.sessions import SignInRequired, sign_in_required
from api.throttling import RetryAfter
from domain import digests
from domain.authenticator_app import setup_qr_svg
from domain.passkeys import RelyingParty
from engine.telemetry import Telemetry, for_process
from settings import Settings

log = logging.getLogger("atrezzo.api")
UNAVAILABLE = "The portal is temporarily unavailable. Please try again in a few minutes."

_HERE = Path(__file__).parent


def create_app(
    settings: Settings, *, extra_routers: tuple = (), extra_template_dirs: tuple = (), telemetry: Telemetry | None = None
) -> FastAPI:
    """``telemetry`` defaults to what the settings ask for; tests pass their own tracer provider."""
    telemetry = telemetry or for_process(settings, "api")
    resources = Resources(settings, telemetry)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await resources.open()
        try:
            yield
        finally:
            await resources.close()

    app = FastAPI(
        title="Atrezzo registration engine",
        description="Self-service accounts for the Atrezzo Provider Portal. JSON twins of every screen live under /api/v1.",
        lifespan=lifespan,
    )
    describe_errors(app)
    app.state.resources = resources
    app.state.health = health.HealthProbe(resources)
    app.state.signer = Signer(digests.derive_key(settings.secret_key, digests.COOKIE_KEY))
    app.state.templates = Jinja2Templates(directory=[*extra_template_dirs, _HERE / "templates"])
    # A flow's forms post to the actions its declaration names (api/flow_router.py).
    app.state.templates.env.globals["action_of"] = declared_actions(
        enrollment.SCREENS, login.SCREENS, password_reset.SCREENS, passkey_login.SCREENS
    )
    # The authenticator app's setup screen draws its QR code inline (no image request).
    app.state.templates.env.globals["qr_code"] = lambda uri: Markup(setup_qr_svg(uri))
    # Passkeys belong to a host name: the method screen offers them only where the portal has one.
    app.state.templates.env.globals["passkeys_offered"] = RelyingParty.of(settings.public_base_url) is not None
    # Innermost of the middleware: what it refuses still gets the security headers.
    app.add_middleware(InputGuard)
    app.add_middleware(RetryAfter)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTelemetry, tracer=telemetry.tracer, meter=telemetry.meter)
    # Outermost: every other layer sees the client the trusted proxies name, and only them.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    process_routers = (portal.router, registration.router, enrollment.router, first_login.router, registration_reset.router,
                       password_reset.router, login.router, staff_login.router, manage_users.router, admin_reset.router,
                       recovery_codes.router, passkeys.router, passkey_login.router)
    for router in (health.router, codec.router, twilio.router, operations.router, *process_routers, *extra_routers):
        app.include_router(router)
    _install_error_pages(app)
    app.add_exception_handler(SignInRequired, sign_in_required)
    return app


def _install_error_pages(app: FastAPI) -> None:
    templates: Jinja2Templates = app.state.templates

    def page(request: Request, message: str, status: int) -> Response:
        if is_api(request) or request.url.path.startswith(("/codec", "/webhooks", "/healthz")):
            return JSONResponse({"detail": message}, status_code=status)
        return templates.TemplateResponse(request, "message.html", {"message": message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return page(request, f"Please check {where}: {first.get('msg', 'invalid value')}.", 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return page(request, message, exc.status_code)

    @app.exception_handler(FlowGone)
    async def flow_gone(request: Request, exc: FlowGone) -> Response:
        return page(request, "This page has expired. Please start again.", 404)

    @app.exception_handler(LinkStillOpening)
    async def link_still_opening(request: Request, exc: LinkStillOpening) -> Response:
        return page(request, exc.args[0], 503)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Exception) -> Response:
        return page(request, UNAVAILABLE, 503)

    async def temporal_not_answering(request: Request, exc: Exception) -> Response:
        # Wherever a route met it: Temporal down or unreachable is "try again", never a trace.
        if not temporal_outage(exc):
            # A refusal no route expected: a bug to fix, answered as one (re-raising from a
            # handler would drop the connection without any answer).
            log.error("%s %s: Temporal refused", request.method, request.url.path, exc_info=exc)
            return page(request, "Something went wrong. Please try again.", 500)
        log.warning("%s %s: Temporal did not answer (%s)", request.method, request.url.path, exc)
        return page(request, UNAVAILABLE, 503)

    async def database_not_answering(request: Request, exc: Exception) -> Response:
        if not database_outage(exc):
            log.error("%s %s: unexpected error", request.method, request.url.path, exc_info=exc)
            return page(request, "Something went wrong. Please try again.", 500)
        log.warning("%s %s: PostgreSQL did not answer (%s: %s)", request.method, request.url.path, type(exc).__name__, exc)
        return page(request, UNAVAILABLE, 503)

    for error in (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError,
                  ConnectionError, asyncio.TimeoutError):
        app.add_exception_handler(error, database_not_answering)
    app.add_exception_handler(RPCError, temporal_not_answering)
    app.add_exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError, temporal_not_answering)

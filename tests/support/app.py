"""The API for tests: in-process through httpx's ASGI transport, or listening on a real
port (needed when the Twilio sandbox must call our webhook back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.app import create_app
from api.security import Signer
from devstack.background import AppServer, InThread
from devstack.ports import free_port
from domain import digests
from engine.client import connect
from engine.telemetry import Telemetry
from settings import Settings
from store.pool import create_pool
from tests.support import challenge_routes
from tests.support.challenge_flow import ChallengeFlow
from tests.support.temporal import client_for, make_settings
from worker import build_worker
from workflows.registry import WORKFLOWS

TEMPLATES = Path(__file__).parent / "templates"


class RunningApp(InThread):
    """The app with its lifespan (pool, Temporal client) in a daemon thread with its own loop,
    on a port chosen in advance (the settings name it before the app exists)."""

    def __init__(self, app: FastAPI, port: int) -> None:
        server = AppServer(app, port=port, lifespan="on")
        super().__init__(server, "API", startup_timeout=15)
        self.url = server.url


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    """An httpx client on the app itself (run inside ``async with app.router.lifespan_context(app)``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def live_app(temporal_env, smtp_sink, twilio_sandbox, db_url):
    """The API listening on a real port, a worker with the real activities, and settings
    pointing both at this run's PostgreSQL, Temporal, SMTP sink and Twilio sandbox."""
    async with running_app(temporal_env, smtp_sink, twilio_sandbox, db_url) as app:
        yield app


@pytest.fixture
async def passkey_app(temporal_env, smtp_sink, twilio_sandbox, db_url):
    """``live_app`` at http://localhost:<port>: a name passkeys can belong to."""
    async with running_app(temporal_env, smtp_sink, twilio_sandbox, db_url, host="localhost") as app:
        yield app


@asynccontextmanager
async def running_app(
    temporal_env, smtp_sink, twilio_sandbox, db_url, *, telemetry: Telemetry | None = None, host: str = "127.0.0.1",
    **overrides: object,
) -> AsyncIterator[LiveApp]:
    """What ``live_app`` gives, with settings ``overrides`` and ``telemetry`` (metrics runtime,
    tracer provider) shared by the API and the worker, as each process would have its own;
    ``host``: the name its public address and ``url`` use (passkeys need a name, not an IP)."""
    port = free_port()
    settings = make_settings(
        database_url=db_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        smtp_host=smtp_sink.smtp_host,
        smtp_port=smtp_sink.smtp_port,
        twilio_account_sid=twilio_sandbox.account_sid,
        twilio_auth_token=twilio_sandbox.auth_token,
        twilio_api_base_url=twilio_sandbox.url,
        public_base_url=f"http://{host}:{port}",
        **overrides,
    )
    if telemetry is None:
        client = client_for(temporal_env, settings)
    else:
        # A runtime belongs to a connection: the worker connects as a deployed one would
        # (no time-skipping stamp; these tests wait on nothing long).
        client = await connect(settings, telemetry)
    app = create_app(settings, extra_routers=(challenge_routes.router,), extra_template_dirs=(TEMPLATES,), telemetry=telemetry)
    pool = await create_pool(db_url)
    try:
        async with build_worker(client, settings, pool, workflows=[*WORKFLOWS, ChallengeFlow]):
            with RunningApp(app, port) as running:
                yield LiveApp(settings=settings, url=running.url.replace("127.0.0.1", host), client=client, pool=pool, app=app)
    finally:
        await pool.close()


@dataclass
class LiveApp:
    settings: Settings
    url: str
    client: Client
    pool: asyncpg.Pool  # the tests' own; the API's is in ``app.state.resources``
    app: FastAPI

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)

    def csrf_token(self, browser_id: str) -> str:
        """What the app puts in its forms for the browser with this id cookie."""
        return Signer(digests.derive_key(self.settings.secret_key, digests.COOKIE_KEY)).csrf_token(browser_id)

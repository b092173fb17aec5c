"""The whole application for the benchmarks, in this process and on loopback: PostgreSQL,
the SMTP sink, the Twilio sandbox, the API on a real port and the production worker with
its real activities, on the engine the bench already runs."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client

from api.app import create_app
from bench.database import embedded_database
from bench.mail_watch import MailWatch, watching
from devstack.background import AppServer, InThread
from devstack.smtp_sink import RunningSmtpSink
from devstack.twilio_sandbox import RunningTwilioSandbox
from domain.passwords import hash_password
from settings import Settings
from store.pool import create_pool
from store.providers import add_provider
from worker import build_worker

PROVIDER_NPI = "1234567893"  # a valid check digit (Luhn over the 80840 prefix)
PROVIDER_NAME = "Bench Family Practice"


@dataclass(frozen=True)
class AppStack:
    url: str
    mail: MailWatch
    npi: str
    registration_code: str
    # The production worker's pool, on the bench's loop: for putting people in place before measuring.
    pool: asyncpg.Pool


@asynccontextmanager
async def start_app_stack(client: Client, engine_settings: Settings) -> AsyncIterator[AppStack]:
    """Everything started, and stopped again in reverse order when the block ends."""
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(embedded_database())
        code = secrets.token_urlsafe(12)
        await _add_provider(database_url, code)
        smtp = stack.enter_context(RunningSmtpSink())
        twilio = stack.enter_context(RunningTwilioSandbox("AC" + secrets.token_hex(16), secrets.token_hex(16)))
        port = _free_port()
        settings = engine_settings.model_copy(
            update={
                "database_url": database_url,
                "temporal_address": client.service_client.config.target_host,
                "temporal_namespace": client.namespace,
                # Its own queue: the engine floor's worker must never be handed these flows.
                "temporal_task_queue": f"{engine_settings.temporal_task_queue}-app",
                "smtp_host": smtp.host,
                "smtp_port": smtp.smtp_port,
                "twilio_account_sid": twilio.account_sid,
                "twilio_auth_token": twilio.auth_token,
                "twilio_api_base_url": twilio.url,
                "public_base_url": f"http://127.0.0.1:{port}",
            }
        )
        pool = await create_pool(database_url)
        stack.push_async_callback(pool.close)
        await stack.enter_async_context(build_worker(client, settings, pool))
        api = AppServer(create_app(settings), port=port, lifespan="on")
        # Its own thread and loop, as a separate API process would have its own.
        running = InThread(api, "API", startup_timeout=30).__enter__()
        # Stopped off this loop: requests still in flight wait on the worker, which runs here.
        stack.push_async_callback(asyncio.to_thread, running.__exit__, None, None, None)
        mail = await stack.enter_async_context(watching(smtp.mailbox))
        yield AppStack(url=api.url, mail=mail, npi=PROVIDER_NPI, registration_code=code, pool=pool)


class AppStackOnDemand:
    """Starts the stack the first time a scenario asks for it (so the engine floor is
    measured without it) and keeps it until ``resources`` closes."""

    def __init__(self, resources: AsyncExitStack, client: Client, engine_settings: Settings) -> None:
        self._resources = resources
        self._client = client
        self._engine_settings = engine_settings
        self._stack: AppStack | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> AppStack:
        async with self._lock:
            if self._stack is None:
                started = start_app_stack(self._client, self._engine_settings)
                self._stack = await self._resources.enter_async_context(started)
        return self._stack


async def _add_provider(database_url: str, registration_code: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await add_provider(conn, PROVIDER_NPI, PROVIDER_NAME, hash_password(registration_code))
    finally:
        await conn.close()


def _free_port() -> int:
    # The settings name the API's URL (for emailed links) before the app exists to bind it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

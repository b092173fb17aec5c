"""Per-process connections the API holds: one asyncpg pool, one Temporal client, one HTTP client,
and the threads that run argon2id (api/password_work.py).

Both are made at start-up when their service is up, and on first use otherwise, so the
API starts (and /healthz can say what is down) even when a dependency is not there yet.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import httpx
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.password_work import PasswordWork
from api.staff_identity import StaffIdentityProvider
from engine.client import connect
from engine.telemetry import Telemetry
from settings import Settings
from store.pool import create_pool

log = logging.getLogger("atrezzo.api")


# Temporal did not answer: down, unreachable, overloaded, or no worker took a query in time.
_NO_ANSWER = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED, RPCStatusCode.UNAVAILABLE,
              RPCStatusCode.RESOURCE_EXHAUSTED)


def temporal_outage(exc: BaseException) -> bool:
    """An error that means "Temporal is not answering right now", not "this request is wrong"."""
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return True
    if not isinstance(exc, RPCError):
        return False
    # The SDK's core reports a connection it could not make as UNKNOWN "transport error".
    if exc.status == RPCStatusCode.UNKNOWN:
        return "transport error" in exc.message
    # A flow whose workflow task keeps failing (no worker of ours can run it now) is refused a
    # query at once, where one asked before the first failure waits out its time instead; an
    # update is refused at once while no worker polls (Temporal just restarted, or none is up).
    if exc.status == RPCStatusCode.FAILED_PRECONDITION:
        return any(words in exc.message for words in _NO_WORKER_NOW)
    return exc.status in _NO_ANSWER


_NO_WORKER_NOW = ("Workflow Task in failed state", "no poller seen for task queue recently")


# PostgreSQL going away or not taking connections (a restart, a failover, a full server).
_DATABASE_GONE = (asyncpg.OperatorInterventionError, asyncpg.PostgresConnectionError, asyncpg.TooManyConnectionsError)


def database_outage(exc: BaseException) -> bool:
    """An error that means "the database is not answering right now": a restart cut the
    connection or refuses new ones. Once it is back, the pool replaces the dead connections."""
    if isinstance(exc, _DATABASE_GONE):
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # A connection broken mid-operation leaves asyncpg's protocol in a state it reports so.
        return "cannot switch to state" in str(exc)
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc) or "connection was closed" in str(exc)
    # asyncpg reports a socket that closed under it, or a connect that was refused, as these.
    return isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError)) and not isinstance(exc, RPCError)


class Unavailable(Exception):
    def __init__(self, dependency: str) -> None:
        super().__init__(f"{dependency} is unavailable")
        self.dependency = dependency


class Resources:
    def __init__(self, settings: Settings, telemetry: Telemetry | None = None) -> None:
        self.settings = settings
        self.telemetry = telemetry or Telemetry()
        self._pool: asyncpg.Pool | None = None
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        # Building an httpx client loads the CA bundle (~0.2 s, blocking): do it once.
        self.http = httpx.AsyncClient(timeout=5.0)
        self.passwords = PasswordWork(settings.password_hashes_at_once)
        # The Kepro box's LOGIN, when STAFF_OIDC_ISSUER names a provider.
        self.staff_identity = StaffIdentityProvider(settings, self.http) if settings.staff_sign_on else None

    async def open(self) -> None:
        for name, opener in (("database", self.pool), ("temporal", self.temporal)):
            try:
                await opener()
            except Unavailable:
                log.warning("%s not reachable at start-up; will retry on first use", name)

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    try:
                        self._pool = await create_pool(self.settings.database_url)
                    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                        raise Unavailable("database") from exc
        return self._pool

    async def temporal(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await asyncio.wait_for(connect(self.settings, self.telemetry), timeout=10)
                    except Exception as exc:  # connection errors come in several shapes
                        raise Unavailable("temporal") from exc
        return self._client

    async def close(self) -> None:
        self.telemetry.flush()
        await self.http.aclose()
        self.passwords.close()
        if self._pool is not None:
            await self._pool.close()

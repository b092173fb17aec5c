"""An app with a test-only door to sign in, for the session and account-home tests (the real
sign-in is the last step of MFA enrollment, another screen's business)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from api.app import create_app
from api.sessions import sign_in
from domain.passwords import hash_password
from settings import Settings
from store.providers import add_provider
from store.users import import_legacy_user
from tests.support.app import asgi_client
from tests.support.temporal import make_settings


@dataclass
class SessionApp:
    app: FastAPI
    settings: Settings
    pool: asyncpg.Pool

    def http(self) -> httpx.AsyncClient:
        return asgi_client(self.app)

    async def add_person(self, username: str = "sam.signed", first_name: str = "Sam", last_name: str = "Signed") -> str:
        """An active account (an imported portal user), by id."""
        async with self.pool.acquire() as conn, conn.transaction():
            provider_id = await add_provider(conn, "1234567893", "Demo Family Practice", hash_password("DEMO-REG-2026"))
            user_id = await import_legacy_user(
                conn, username=username, password_hash=hash_password("Signed-In-Portal-2026"),
                first_name=first_name, last_name=last_name, email=f"{username}@example.com", provider_id=provider_id,
            )
        return str(user_id)


def _sign_in_door() -> APIRouter:
    router = APIRouter()

    @router.post("/test/sign-in/{account_id}")
    async def door(request: Request, account_id: str):
        response = RedirectResponse("/home", status_code=303)
        await sign_in(request, response, account_id)
        return response

    return router


@pytest.fixture
async def session_app(db_url, temporal_address):
    async with _session_app(db_url, temporal_address) as app:
        yield app


@pytest.fixture
async def https_session_app(db_url, temporal_address):
    """The same, for a portal whose public address is https (behind a TLS-terminating proxy)."""
    async with _session_app(db_url, temporal_address, public_base_url="https://portal.example") as app:
        yield app


@asynccontextmanager
async def _session_app(db_url, temporal_address, **overrides):
    settings = make_settings(database_url=db_url, temporal_address=temporal_address, **overrides)
    app = create_app(settings, extra_routers=(_sign_in_door(),))
    async with app.router.lifespan_context(app):
        yield SessionApp(app, settings, await app.state.resources.pool())

"""AppServer serves an ASGI app on its own socket until stopped or cancelled; InThread runs a
server on a thread of its own and says plainly when it did not start."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Request

from devstack.background import AppServer, InThread


def _app(lifespan=None) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def hello(request: Request) -> dict:
        return {"opened": getattr(request.app.state, "opened", False)}

    return app


async def _until_started(server: AppServer, serving: asyncio.Task) -> None:
    while not server.started:
        assert not serving.done(), serving.exception()
        await asyncio.sleep(0.01)


async def _refused(url: str) -> None:
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=url) as web:
            await web.get("/")


async def test_serves_on_a_port_known_before_it_runs_until_stopped():
    server = AppServer(_app())
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")
    serving = asyncio.create_task(server.run())
    await _until_started(server, serving)

    async with httpx.AsyncClient(base_url=server.url) as web:
        assert (await web.get("/")).json() == {"opened": False}

    server.stop()
    await serving
    await _refused(server.url)


async def test_cancelling_shuts_it_down_and_frees_the_port():
    server = AppServer(_app())
    serving = asyncio.create_task(server.run())
    await _until_started(server, serving)

    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    await _refused(server.url)


def test_in_a_thread_it_runs_the_app_lifespan_when_asked():
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.opened = True
        yield

    with InThread(AppServer(_app(lifespan), lifespan="on"), "lifespan app") as running:
        assert httpx.get(running.server.url).json() == {"opened": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.server.url)


def test_a_server_whose_lifespan_fails_is_reported_as_not_started():
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        raise ConnectionRefusedError("no database")
        yield

    with pytest.raises(RuntimeError, match="broken app stopped before it started serving"):
        with InThread(AppServer(_app(lifespan), lifespan="on"), "broken app"):
            pass


class _Failing:
    started = False

    async def run(self) -> None:
        raise OSError("address in use")

    def stop(self) -> None:
        pass


class _NeverStarting:
    started = False
    stopped = False

    async def run(self) -> None:
        while not self.stopped:
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        self.stopped = True


def test_a_server_that_dies_names_the_reason():
    with pytest.raises(RuntimeError, match="failing server stopped before it started serving") as failed:
        with InThread(_Failing(), "failing server"):
            pass
    assert isinstance(failed.value.__cause__, OSError)


def test_a_server_that_never_starts_is_stopped_after_the_timeout():
    server = _NeverStarting()
    with pytest.raises(RuntimeError, match=r"slow server did not start serving within 0\.05s"):
        with InThread(server, "slow server", startup_timeout=0.05):
            pass
    assert server.stopped

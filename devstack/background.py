"""Serving beside something else: an ASGI app on a loopback socket (`AppServer`), and any
server with `async run()`, `.started` and `stop()` on its own thread and loop (`InThread`),
for synchronous callers such as test fixtures."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Literal, Protocol, Self

import uvicorn


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP listener whose connections send small writes at once. asyncio sets TCP_NODELAY
    only on sockets whose ``proto`` is IPPROTO_TCP, and create_server's are 0: without this a
    reply written in two parts waits ~40 ms for the peer's delayed ACK (Linux copies the
    option to accepted connections)."""
    sock = socket.create_server((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class AppServer:
    """uvicorn serving `app` on a socket bound at construction (port 0 picks a free one), so
    `.url` is known before `run()` starts serving."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, lifespan: Literal["on", "off"] = "off") -> None:
        self._socket = listening_socket(host, port)
        self.url = f"http://{host}:{self._socket.getsockname()[1]}"
        # proxy_headers off: the app reads X-Forwarded-* itself, from its trusted proxies only.
        config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False, proxy_headers=False)
        self._server = uvicorn.Server(config)

    @property
    def started(self) -> bool:
        return self._server.started

    async def run(self) -> None:
        """Serve until `stop()` or cancellation."""
        try:
            await self._server.serve(sockets=[self._socket])
        except asyncio.CancelledError:
            # uvicorn closes its listener and connections only when it exits on its own.
            if self._server.started:
                await self._server.shutdown(sockets=[self._socket])
            raise
        finally:
            # A server that never started (its lifespan failed, say) still frees the port.
            self._socket.close()

    def stop(self) -> None:
        """Safe from any thread: uvicorn polls this flag."""
        self._server.should_exit = True


class Runnable(Protocol):
    @property
    def started(self) -> bool: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


class InThread:
    """Runs `server` on a fresh event loop in a daemon thread while the `with` block lasts.

    Its own loop keeps it answering while the caller blocks, or while the caller's loop waits
    on something the server must answer first."""

    def __init__(self, server: Runnable, name: str, startup_timeout: float = 10.0) -> None:
        self.server = server
        self.name = name
        self._startup_timeout = startup_timeout
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self.server.run())
        except BaseException as exc:  # SystemExit too: uvicorn exits that way when the lifespan fails
            self._failure = exc

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} stopped before it started serving") from self._failure
            if time.monotonic() > deadline:
                self._stop()
                raise RuntimeError(f"{self.name} did not start serving within {self._startup_timeout}s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop()
        if self._failure is not None and exc_info[0] is None:
            raise RuntimeError(f"{self.name} failed while serving") from self._failure

    def _stop(self) -> None:
        self.server.stop()
        self._thread.join(timeout=10)

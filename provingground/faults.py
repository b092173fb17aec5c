"""A small TCP fault proxy: it stands between the app and one dependency (PostgreSQL, Temporal's
gRPC, SMTP, Twilio's HTTP) and, as the harness tells it, passes bytes through, refuses new
connections, stalls (accepts, then forwards nothing), cuts every connection mid-stream, adds
latency to each chunk, or — for an HTTP dependency — answers every request with a 500 itself. It listens on TCP and reaches its target over TCP or a Unix socket
(embedded PostgreSQL listens on one). Faults change at once, for connections already open too.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
from dataclasses import dataclass, field

from devstack.topology import Target

_CHUNK = 64 * 1024
_ERROR_BODY = (b'{"code": 20500, "message": "Internal Server Error", "status": 500, '
               b'"more_info": "https://www.twilio.com/docs/errors/20500"}')
_SERVER_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_ERROR_BODY), _ERROR_BODY))


class Mode(str, enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"  # nothing listens (connection refused); open connections are cut
    STALL = "stall"  # connections are accepted and held; nothing is forwarded either way
    CUT = "cut"  # every open connection is cut now; new ones pass (a mid-stream failure)
    SERVER_ERROR = "500"  # HTTP: each request is answered 500 by the proxy, as a failing provider does


@dataclass
class Counters:
    connections: int = 0
    refused: int = 0
    cut: int = 0


@dataclass
class FaultProxy:
    name: str
    target: Target
    listen_port: int = 0
    mode: Mode = Mode.PASS
    latency: float = 0.0  # seconds added before each chunk is forwarded, either way
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self) -> None:
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.Task] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        sock = socket.create_server(("127.0.0.1", self.listen_port), reuse_port=False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server = await asyncio.start_server(self._accept, sock=sock)
        self.listen_port = sock.getsockname()[1]

    async def stop(self) -> None:
        await self._stop_listening()
        self.cut_all()

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.listen_port}"

    async def set(self, mode: Mode, *, latency: float | None = None) -> None:
        """Change the fault now. CUT cuts what is open and then passes again."""
        if latency is not None:
            self.latency = latency
        if mode in (Mode.REFUSE, Mode.CUT, Mode.SERVER_ERROR):
            self.cut_all()  # kept-alive connections too meet the new fault
        if mode is Mode.REFUSE:
            await self._stop_listening()
        elif self._server is None:
            await self.start()  # the same port again
        self.mode = Mode.PASS if mode is Mode.CUT else mode
        if self.mode is Mode.STALL:
            self._flowing.clear()
        else:
            self._flowing.set()

    def cut_all(self) -> None:
        for task in list(self._open):
            task.cancel()
        self.counters.cut += len(self._open)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.counters.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._open.add(task)
        try:
            await self._flowing.wait()
            if self.mode is Mode.SERVER_ERROR:
                await _answer_server_error(client_reader, client_writer)
                return
            try:
                target_reader, target_writer = await _connect(self.target)
            except OSError:  # the dependency itself is down: the app sees the connection close
                self.counters.refused += 1
                return
            try:
                await asyncio.gather(
                    self._pipe(client_reader, target_writer), self._pipe(target_reader, client_writer)
                )
            finally:
                target_writer.close()
        except asyncio.CancelledError:
            pass  # cut by the harness: both ends simply close
        finally:
            self._open.discard(task)
            client_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(_CHUNK):
                await self._flowing.wait()
                if self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.write_eof()


async def _answer_server_error(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read one HTTP request (head and body) and answer it 500, closing the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        writer.write(_SERVER_ERROR)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass


async def _connect(target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if target.unix_path:
        return await asyncio.open_unix_connection(target.unix_path)
    return await asyncio.open_connection(target.host, target.port)


@dataclass
class FaultProxies:
    """The topology's gateway (devstack/topology.py): a fault proxy before each dependency, by
    its name ("postgres", "temporal", "smtp", "twilio")."""

    proxies: dict[str, FaultProxy] = field(default_factory=dict)

    async def open(self, name: str, target: Target) -> str:
        proxy = FaultProxy(name, target)
        await proxy.start()
        self.proxies[name] = proxy
        return proxy.address

    async def close(self) -> None:
        for proxy in self.proxies.values():
            await proxy.stop()

    def __getitem__(self, name: str) -> FaultProxy:
        return self.proxies[name]

"""The production topology on loopback, as separate OS processes: embedded PostgreSQL, the
Temporal dev server (its state in a file, so a stop and start keeps every flow), the SMTP sink,
the Twilio sandbox, two API processes and two workers — replicas, as docker-compose.yml has
them. The proving ground and the benchmarks run on it. A *gateway* may stand between the app
and each dependency (the proving ground's fault proxies); whoever runs the topology reads the
database, the sink, the sandbox and Temporal directly, never through it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import asyncpg

from devstack import dev_secrets, seed
from devstack.postgres import (
    database_url,
    restart_embedded,
    start_embedded,
    stop_embedded,
)
from devstack.ports import free_ports, holds
from devstack.processes import die_with_parent
from devstack.temporal_state import state_file_flags
from engine import search_attributes as sa
from store.migrate import migrate

BIN = Path(sys.executable).parent
DATABASE = "atrezzo"
REPLICAS = ("1", "2")
KEEP_MESSAGES = 1_000_000


class TopologyError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """A dependency's own address: TCP, or a Unix socket (embedded PostgreSQL listens on one)."""

    host: str = "127.0.0.1"
    port: int = 0
    unix_path: str = ""


class Gateway(Protocol):
    """Stands between the app and its dependencies."""

    async def open(self, name: str, target: Target) -> str:
        """Start standing before ``target``: the host:port the app is to use for it instead."""

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Ended:
    """A process stopped or killed. Work it held may have been lost anywhere from the signal to
    its exit: a Temporal told to stop still hands out and takes tasks while it shuts down."""

    name: str
    signalled: float  # epoch seconds
    exited: float


@dataclass
class Process:
    name: str
    args: list[str]
    # Open once the process serves (its port, or its metrics endpoint for a worker).
    ready_port: int
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Topology:
    folder: Path
    # Settings the API and workers get on top of the topology's own (shorter timeouts, ...).
    app_settings: dict[str, str] = field(default_factory=dict)
    gateway: Gateway | None = None
    processes: dict[str, Process] = field(default_factory=dict)
    # Each process stopped or killed, and when: what the work it held lost.
    ended: list[Ended] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    app_env: dict[str, str] = field(default_factory=dict)  # the settings API and workers run with
    database_url: str = ""  # direct, for the harness's checks
    temporal_address: str = ""  # direct, for the harness's checks

    def __post_init__(self) -> None:
        self.logs = self.folder / "logs"
        self.pgdata = self.folder / "postgres"
        # host:port (a Unix socket's folder for PostgreSQL) the app uses for each dependency.
        self._reach: dict[str, str] = {}

    # --- the addresses a load generator and the checks use -------------------
    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.processes[f'api-{r}'].ready_port}" for r in REPLICAS]

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.processes['smtp-sink'].ready_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.processes['twilio-sandbox'].ready_port}"

    @property
    def public_base_url(self) -> str:
        # Links in emails name the first API; a person's browser is sent to whichever answers.
        return self.api_urls[0]

    # --- start and stop -----------------------------------------------------
    async def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.secrets = dev_secrets.load_or_create(self.folder / "secrets.env")
        await self._start_postgres()
        # Ports are picked free, let go, then bound by the process they are for. The Temporal dev
        # server has the kernel pick its internal ports and binds one only after its frontend
        # answers; ours are picked outside the kernel's range (devstack/ports.py), so it cannot
        # take one of them in between.
        self._plan_temporal()
        await self.start_process("temporal")
        self._plan_providers()
        for name in ("smtp-sink", "twilio-sandbox"):
            await self.start_process(name)
        self._reach["temporal"] = await self._through("temporal", Target(port=self.processes["temporal"].ready_port))
        self._reach["smtp"] = await self._through("smtp", Target(port=self._smtp_port))
        self._reach["twilio"] = await self._through("twilio", Target(port=self.processes["twilio-sandbox"].ready_port))
        self._plan_app()
        for replica in REPLICAS:
            await self.start_process(f"worker-{replica}")
        for replica in REPLICAS:
            await self.start_process(f"api-{replica}")

    async def stop(self) -> None:
        for name in reversed(list(self.processes)):
            await self.stop_process(name)
        if self.gateway is not None:
            await self.gateway.close()
        await asyncio.to_thread(stop_embedded, self.pgdata)

    async def start_process(self, name: str) -> None:
        process = self.processes[name]
        if process.running:
            return
        log = open(self.logs / f"{name}.log", "ab")
        process.popen = subprocess.Popen(
            process.args, env={**os.environ, **process.env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent(os.getpid()),
        )
        log.close()
        await _wait_for_port(process, self.logs / f"{name}.log")

    async def stop_process(self, name: str, *, within: float = 15) -> None:
        """SIGTERM, as an orchestrator stops a container; SIGKILL when it does not go."""
        await self._end(name, signal.SIGTERM, within)

    async def kill(self, name: str) -> None:
        """kill -9: no clean-up, no goodbye to Temporal or PostgreSQL."""
        await self._end(name, signal.SIGKILL, 5)

    async def restart_postgres(self) -> None:
        """A fast restart of the server (every session cut), the data kept."""
        await asyncio.to_thread(restart_embedded, self.pgdata)

    async def _end(self, name: str, sig: int, within: float) -> None:
        popen = self.processes[name].popen
        if popen is None or popen.poll() is not None:
            return
        signalled = time.time()
        popen.send_signal(sig)
        try:
            await asyncio.wait_for(asyncio.to_thread(popen.wait), within)
        except TimeoutError:
            popen.kill()
            await asyncio.to_thread(popen.wait)
        self.ended.append(Ended(name, signalled, time.time()))

    # --- what runs where ----------------------------------------------------
    async def _start_postgres(self) -> None:
        server_url = await asyncio.to_thread(start_embedded, self.pgdata)
        admin = await asyncpg.connect(server_url)
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
                await admin.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await admin.close()
        self.database_url = database_url(server_url, DATABASE)
        await migrate(self.database_url)
        await seed.seed_demo(self.database_url)
        socket_dir = server_url.split("host=", 1)[1].split("&", 1)[0]
        if self.gateway is None:
            self._app_database_url = self.database_url
        else:
            address = await self.gateway.open("postgres", Target(unix_path=f"{socket_dir}/.s.PGSQL.5432"))
            self._app_database_url = f"postgresql://postgres@{address}/{DATABASE}"

    async def _through(self, name: str, target: Target) -> str:
        if self.gateway is None:
            return f"{target.host}:{target.port}"
        return await self.gateway.open(name, target)

    def _plan_temporal(self) -> None:
        temporal, temporal_http = free_ports(2)
        self.temporal_address = f"127.0.0.1:{temporal}"
        self.add("temporal", [
            str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(temporal), "--http-port", str(temporal_http),
            *state_file_flags(self.folder / "temporal.db"), "--log-level", "warn", *sa.dev_server_flags(),
        ], temporal)

    def _plan_providers(self) -> None:
        smtp, inbox, sandbox = free_ports(3)
        # Every message of the run is kept: the judgement counts copies over all of them.
        self.add("smtp-sink", [sys.executable, "-m", "devstack.smtp_sink", "--smtp-port", str(smtp),
                                "--http-port", str(inbox), "--keep", str(KEEP_MESSAGES)], inbox)
        self._smtp_port = smtp
        self.add("twilio-sandbox", [
            sys.executable, "-m", "devstack.twilio_sandbox", "--port", str(sandbox),
            "--account-sid", self.secrets["TWILIO_ACCOUNT_SID"], "--auth-token", self.secrets["TWILIO_AUTH_TOKEN"],
            "--keep", str(KEEP_MESSAGES),
        ], sandbox)

    def _plan_app(self) -> None:
        ports = free_ports(2 * len(REPLICAS))
        api_ports = dict(zip(REPLICAS, ports[:len(REPLICAS)], strict=True))
        metrics_ports = dict(zip(REPLICAS, ports[len(REPLICAS):], strict=True))
        self.app_env = shared = {
            **self.secrets,
            "DATABASE_URL": self._app_database_url,
            "TEMPORAL_ADDRESS": self._reach["temporal"],
            "SMTP_HOST": self._reach["smtp"].rsplit(":", 1)[0],
            "SMTP_PORT": self._reach["smtp"].rsplit(":", 1)[1],
            "TWILIO_API_BASE_URL": f"http://{self._reach['twilio']}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_ports['1']}",
            "LOG_FORMAT": "text",
            **self.app_settings,
        }
        for replica in REPLICAS:
            metrics = metrics_ports[replica]
            self.add(f"worker-{replica}", [str(BIN / "atrezzo"), "worker"], metrics,
                      {**shared, "METRICS_ADDRESS": f"127.0.0.1:{metrics}"})
        for replica in REPLICAS:
            self.add(f"api-{replica}", [str(BIN / "atrezzo"), "api"], api_ports[replica],
                      {**shared, "API_PORT": str(api_ports[replica]), "METRICS_ADDRESS": ""})

    def add(self, name: str, args: list[str], ready_port: int, env: dict[str, str] | None = None) -> Process:
        """One more process of this topology (started by ``start_process``, stopped with the rest)."""
        self.processes[name] = Process(name, args, ready_port, env or {})
        return self.processes[name]


async def _wait_for_port(process: Process, log: Path, within: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", process.ready_port)
            writer.close()
            if not holds(process.popen.pid, process.ready_port):
                # Another process took the port between its pick and this one's start.
                raise TopologyError(f"{process.name} does not hold port {process.ready_port}: another process does")
            return
        except OSError:
            pass
        if not process.running:
            # The log's end goes into the message: a CI run keeps the test's output, not the log.
            raise TopologyError(
                f"{process.name} exited while starting (exit {process.popen.returncode}); the end of {log}:\n"
                + _tail(log)
            )
        if loop.time() > deadline:
            raise TopologyError(f"{process.name} did not open port {process.ready_port} within {within:.0f} s")
        await asyncio.sleep(0.1)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(unreadable: {error})"

"""The production topology on loopback, as separate OS processes: embedded PostgreSQL, the
Temporal dev server (its state in a file, so a stop and start keeps every flow), the SMTP sink,
the Twilio sandbox, two API processes and two workers — replicas, as docker-compose.yml has
them. The app reaches every dependency through a fault proxy (provingground/faults.py) the
harness controls; the harness itself reads the database, the sink, the sandbox and Temporal
directly, so what it checks never passes through a fault.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from devstack import dev_secrets, seed
from devstack.postgres import (
    database_url,
    restart_embedded,
    start_embedded,
    stop_embedded,
)
from devstack.processes import die_with_parent
from devstack.temporal_state import state_file_flags
from engine import search_attributes as sa
from provingground.faults import FaultProxy, Target
from store.migrate import migrate

BIN = Path(sys.executable).parent
DATABASE = "atrezzo"
REPLICAS = ("1", "2")
KEEP_MESSAGES = 1_000_000


class TopologyError(Exception):
    pass


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
    processes: dict[str, Process] = field(default_factory=dict)
    proxies: dict[str, FaultProxy] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    database_url: str = ""  # direct, for the harness's checks
    temporal_address: str = ""  # direct, for the harness's checks

    def __post_init__(self) -> None:
        self.logs = self.folder / "logs"
        self.pgdata = self.folder / "postgres"

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
        self._plan_dependencies()
        for name in ("temporal", "smtp-sink", "twilio-sandbox"):
            await self.start_process(name)
        for name, dependency in (("temporal", "temporal"), ("smtp", "smtp-sink"), ("twilio", "twilio-sandbox")):
            await self._proxy(name, Target(port=self._service_port(dependency)))
        self._plan_app()
        for replica in REPLICAS:
            await self.start_process(f"worker-{replica}")
        for replica in REPLICAS:
            await self.start_process(f"api-{replica}")

    async def stop(self) -> None:
        for name in reversed(list(self.processes)):
            await self.stop_process(name)
        for proxy in self.proxies.values():
            await proxy.stop()
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
        await _wait_for_port(process)

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
        popen.send_signal(sig)
        try:
            await asyncio.wait_for(asyncio.to_thread(popen.wait), within)
        except TimeoutError:
            popen.kill()
            await asyncio.to_thread(popen.wait)

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
        await self._proxy("postgres", Target(unix_path=f"{socket_dir}/.s.PGSQL.5432"))

    async def _proxy(self, name: str, target: Target) -> None:
        proxy = FaultProxy(name, target)
        await proxy.start()
        self.proxies[name] = proxy

    def _plan_dependencies(self) -> None:
        temporal, temporal_http = _free_port(), _free_port()
        self.temporal_address = f"127.0.0.1:{temporal}"
        self._add("temporal", [
            str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(temporal), "--http-port", str(temporal_http),
            *state_file_flags(self.folder / "temporal.db"), "--log-level", "warn", *sa.dev_server_flags(),
        ], temporal)
        smtp, inbox = _free_port(), _free_port()
        # Every message of the run is kept: the judgement counts copies over all of them.
        self._add("smtp-sink", [sys.executable, "-m", "devstack.smtp_sink", "--smtp-port", str(smtp),
                                "--http-port", str(inbox), "--keep", str(KEEP_MESSAGES)], inbox)
        self._smtp_port = smtp
        sandbox = _free_port()
        self._add("twilio-sandbox", [
            sys.executable, "-m", "devstack.twilio_sandbox", "--port", str(sandbox),
            "--account-sid", self.secrets["TWILIO_ACCOUNT_SID"], "--auth-token", self.secrets["TWILIO_AUTH_TOKEN"],
            "--keep", str(KEEP_MESSAGES),
        ], sandbox)

    def _service_port(self, name: str) -> int:
        return self._smtp_port if name == "smtp-sink" else self.processes[name].ready_port

    def _plan_app(self) -> None:
        api_ports = {replica: _free_port() for replica in REPLICAS}
        shared = {
            **self.secrets,
            "DATABASE_URL": f"postgresql://postgres@{self.proxies['postgres'].address}/{DATABASE}",
            "TEMPORAL_ADDRESS": self.proxies["temporal"].address,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.proxies["smtp"].listen_port),
            "TWILIO_API_BASE_URL": f"http://{self.proxies['twilio'].address}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_ports['1']}",
            "LOG_FORMAT": "text",
            **self.app_settings,
        }
        for replica in REPLICAS:
            metrics = _free_port()
            self._add(f"worker-{replica}", [str(BIN / "atrezzo"), "worker"], metrics,
                      {**shared, "METRICS_ADDRESS": f"127.0.0.1:{metrics}"})
        for replica in REPLICAS:
            self._add(f"api-{replica}", [str(BIN / "atrezzo"), "api"], api_ports[replica],
                      {**shared, "API_PORT": str(api_ports[replica]), "METRICS_ADDRESS": ""})

    def _add(self, name: str, args: list[str], ready_port: int, env: dict[str, str] | None = None) -> None:
        self.processes[name] = Process(name, args, ready_port, env or {})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_for_port(process: Process, within: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", process.ready_port)
            writer.close()
            return
        except OSError:
            pass
        if not process.running:
            raise TopologyError(f"{process.name} exited while starting (exit {process.popen.returncode}); see its log")
        if loop.time() > deadline:
            raise TopologyError(f"{process.name} did not open port {process.ready_port} within {within:.0f} s")
        await asyncio.sleep(0.1)

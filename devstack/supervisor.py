"""`make dev` / `atrezzo dev`: the whole stack on loopback, no Docker.

Starts what is not configured (PostgreSQL, the Temporal dev server with its UI, the SMTP
sink, the Twilio sandbox, the OpenID provider behind the staff sign-on), migrates and seeds,
then runs the worker and the API. State lives under .devdata/ so a second run keeps the data
and the flows in progress. Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop every process
this started; were the supervisor killed outright, its children go with it, and the next
start clears what was left (devstack/processes.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from devstack import dev_secrets, seed
from devstack.oidc_provider import demo_staff_claims
from devstack.postgres import database_url, start_embedded, stop_embedded
from devstack.processes import AlreadyRunning, PidFile, StartupError, die_with_parent, port_open, wait_for_port
from devstack.temporal_state import state_file_flags
from engine import search_attributes as sa
from settings import Settings
from store.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PORTS = {"temporal": 7233, "temporal_ui": 8233, "smtp": 1025, "inbox": 8025, "twilio": 8026, "oidc": 9400,
                 "api": 8000, "api_metrics": 9464, "worker_metrics": 9465}


@dataclass
class Stack:
    env: dict[str, str]
    data: Path
    ports: dict[str, int]
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    # Started but detached (PostgreSQL's postmaster): name -> pid, for the pid file.
    daemons: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)

    @property
    def pids(self) -> PidFile:
        return PidFile(self.data)

    def spawn(self, name: str, args: list[str], ready_port: int | None = None, env: dict[str, str] | None = None) -> None:
        """``env``: what this child alone gets on top of the stack's environment."""
        if ready_port is not None and port_open(ready_port):
            raise StartupError(f"port {ready_port} is already in use; stop what holds it or configure {name} by environment")
        log = open(self.data / "logs" / f"{name}.log", "ab")
        # A session of its own: Ctrl-C reaches us only, and we stop children in order.
        child = subprocess.Popen(
            args, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent(os.getpid()),
        )
        self.children.append((name, child))
        self.pids.record(self.children, self.daemons)
        if ready_port is not None:
            wait_for_port(name, ready_port, child)

    def stop(self) -> None:
        for name, child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for name, child in reversed(self.children):
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def run_dev() -> int:
    # Two knobs for running a second stack beside the first (the smoke test does).
    data = Path(os.environ.get("ATREZZO_DEV_DATA", ROOT / ".devdata"))
    offset = int(os.environ.get("ATREZZO_DEV_PORT_OFFSET", "0"))
    ports = {name: port + offset for name, port in DEFAULT_PORTS.items()}
    for folder in (data, data / "logs"):
        folder.mkdir(exist_ok=True)
    # What the environment sets wins over the generated dev secrets.
    env = {**dev_secrets.load_or_create(data / "secrets.env"), **os.environ}
    env.setdefault("API_PORT", str(ports["api"]))
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{env['API_PORT']}")
    env.setdefault("CODEC_TRUST_UI_ORIGIN", "true")
    # The logs are files a person reads (.devdata/logs/); deployments keep the JSON default.
    env.setdefault("LOG_FORMAT", "text")
    stack = Stack(env=env, data=data, ports=ports)
    # Set here even for SIGINT: a shell starting us in the background may have ignored it.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        _stop_stale(stack)
    except StartupError as exc:  # before the try below: another stack's pid file stays its own
        print(f"atrezzo dev: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        _start_postgres(stack)
        asyncio.run(_prepare_database(stack))
        _start_temporal(stack)
        _start_mail(stack)
        _start_twilio(stack)
        _start_oidc(stack)
        metrics = _metrics_addresses(stack)
        # With metrics on, the worker is up once its endpoint answers (the API's is up before its port).
        worker_ready = int(metrics["worker"]["METRICS_ADDRESS"].rsplit(":", 1)[1]) if metrics["worker"] else None
        stack.spawn("worker", [str(BIN / "atrezzo"), "worker"], ready_port=worker_ready, env=metrics["worker"])
        stack.spawn("api", [str(BIN / "atrezzo"), "api"], ready_port=int(env["API_PORT"]), env=metrics["api"])
        stack.urls["API (OpenAPI docs)"] = env["PUBLIC_BASE_URL"] + "/docs"
        stack.urls["Health"] = env["PUBLIC_BASE_URL"] + "/healthz"
        for process, extra in metrics.items():
            if extra.get("METRICS_ADDRESS"):
                stack.urls[f"Metrics ({process})"] = f"http://{extra['METRICS_ADDRESS']}/metrics"
        _write_cli_env(stack)
        _print_banner(stack)
        while True:
            for name, child in stack.children:
                if child.poll() is not None:
                    raise StartupError(f"{name} stopped unexpectedly (exit {child.returncode}); see {stack.data}/logs/{name}.log")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping the stack…", flush=True)
        return 0
    except StartupError as exc:
        print(f"atrezzo dev: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
        stop_embedded(data / "postgres")
        stack.pids.remove()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_stale(stack: Stack) -> None:
    try:
        stopped = stack.pids.stop_stale()
    except AlreadyRunning as exc:
        raise StartupError(str(exc)) from None
    if stopped:
        print(f"atrezzo dev: stopped what an earlier run left behind: {', '.join(stopped)}", flush=True)


# What `atrezzo` needs to reach this stack from another shell (flows, user grant-staff, ...).
_CLI_SETTINGS = ("DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "SECRET_KEY", "PAYLOAD_KEYS",
                 "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CODEC_TOKEN", "PUBLIC_BASE_URL")


def _write_cli_env(stack: Stack) -> None:
    """.devdata/cli.env (mode 0600, it holds the stack's secrets): `set -a; . .devdata/cli.env; set +a`."""
    path = stack.data / "cli.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{name}={shlex.quote(stack.env[name])}\n" for name in _CLI_SETTINGS if stack.env.get(name)))


def _metrics_addresses(stack: Stack) -> dict[str, dict[str, str]]:
    """Each process serves its own Prometheus endpoint on a port of its own. A METRICS_ADDRESS
    in the environment (empty: metrics off) is passed to both unchanged."""
    if "METRICS_ADDRESS" in os.environ:
        return {"api": {}, "worker": {}}
    addresses = {}
    for process in ("api", "worker"):
        port = stack.ports[f"{process}_metrics"]
        if port_open(port):
            raise StartupError(f"port {port} (the {process}'s metrics) is already in use; set METRICS_ADDRESS= to turn metrics off")
        addresses[process] = {"METRICS_ADDRESS": f"127.0.0.1:{port}"}
    return addresses


def _start_postgres(stack: Stack) -> None:
    if "DATABASE_URL" in os.environ:
        stack.urls["PostgreSQL"] = "(configured) DATABASE_URL"
        return
    server_url = start_embedded(stack.data / "postgres")
    stack.daemons["postgres"] = int((stack.data / "postgres" / "postmaster.pid").read_text().split()[0])
    stack.pids.record(stack.children, stack.daemons)
    stack.env["DATABASE_URL"] = database_url(server_url, "atrezzo")
    stack.env["_ATREZZO_PG_SERVER"] = server_url
    stack.urls["PostgreSQL"] = stack.env["DATABASE_URL"]


async def _prepare_database(stack: Stack) -> None:
    server_url = stack.env.pop("_ATREZZO_PG_SERVER", None)
    if server_url:
        admin = await asyncpg.connect(server_url)
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = 'atrezzo'"):
                await admin.execute("CREATE DATABASE atrezzo")
        finally:
            await admin.close()
    await migrate(stack.env["DATABASE_URL"])
    stack.accounts = await seed.seed_demo(stack.env["DATABASE_URL"])


def _start_temporal(stack: Stack) -> None:
    if "TEMPORAL_ADDRESS" in os.environ:
        return
    stack.spawn(
        "temporal",
        [
            str(BIN / "temporal"), "server", "start-dev",
            "--ip", "127.0.0.1", "--port", str(stack.ports["temporal"]), "--ui-port", str(stack.ports["temporal_ui"]),
            *state_file_flags(stack.data / "temporal.db"),
            "--ui-codec-endpoint", stack.env["PUBLIC_BASE_URL"] + "/codec",
            "--log-level", "warn",
            *sa.dev_server_flags(),
        ],
        ready_port=stack.ports["temporal"],
    )
    wait_for_port("temporal UI", stack.ports["temporal_ui"], stack.children[-1][1])
    stack.env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{stack.ports['temporal']}"
    # The UI calls the codec from the browser: let its origin through CORS.
    ui = stack.ports["temporal_ui"]
    stack.env.setdefault("CODEC_CORS_ORIGINS", f"http://127.0.0.1:{ui},http://localhost:{ui}")
    stack.urls["Temporal UI"] = f"http://127.0.0.1:{stack.ports['temporal_ui']}"


def _start_mail(stack: Stack) -> None:
    if "SMTP_HOST" in os.environ or "SMTP_PORT" in os.environ:
        return
    stack.spawn(
        "smtp-sink",
        [sys.executable, "-m", "devstack.smtp_sink", "--smtp-port", str(stack.ports["smtp"]), "--http-port", str(stack.ports["inbox"])],
        ready_port=stack.ports["inbox"],
    )
    stack.env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(stack.ports["smtp"]))
    stack.urls["Mail inbox"] = f"http://127.0.0.1:{stack.ports['inbox']}"


def _start_twilio(stack: Stack) -> None:
    if "TWILIO_API_BASE_URL" in os.environ:
        return
    stack.spawn(
        "twilio-sandbox",
        [sys.executable, "-m", "devstack.twilio_sandbox", "--port", str(stack.ports["twilio"])],
        ready_port=stack.ports["twilio"],
    )
    stack.env["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{stack.ports['twilio']}"
    stack.urls["Phone sandbox (SMS and calls)"] = stack.env["TWILIO_API_BASE_URL"]


def _start_oidc(stack: Stack) -> None:
    """The Kepro LOGIN's identity provider: a real one (Entra ID, Okta, Google, ...) when
    STAFF_OIDC_ISSUER is set, else a local one offering a demo staff identity."""
    if "STAFF_OIDC_ISSUER" in os.environ:
        # The generated secret is the local provider's: a real IdP's must come with its issuer.
        if "STAFF_OIDC_CLIENT_SECRET" not in os.environ:
            stack.env.pop("STAFF_OIDC_CLIENT_SECRET", None)
        return
    domains = stack.env.get("STAFF_EMAIL_DOMAINS") or Settings.model_fields["staff_email_domains"].default
    demo = demo_staff_claims(domains.split(",")[0].strip())
    # 127.0.0.1 throughout: the provider names its issuer after the Host it was reached by.
    stack.spawn(
        "oidc-provider",
        [sys.executable, "-m", "devstack.oidc_provider", "--host", "127.0.0.1", "--port", str(stack.ports["oidc"]),
         "--user-claims", json.dumps(demo)],
        ready_port=stack.ports["oidc"],
    )
    stack.env["STAFF_OIDC_ISSUER"] = f"http://127.0.0.1:{stack.ports['oidc']}"
    stack.env.setdefault("STAFF_OIDC_CLIENT_ID", "atrezzo-dev")  # the local provider takes any client
    stack.env.setdefault("STAFF_OIDC_GROUP_ROLES", "kepro-staff=staff")
    stack.urls["Kepro LOGIN (staff single sign-on)"] = stack.env["STAFF_OIDC_ISSUER"]
    stack.accounts.append(f"{'Staff (LOGIN):':<17}pick '{demo['sub']}' ({demo['email']}) on the OpenID provider's page")


def _print_banner(stack: Stack) -> None:
    lines = ["", "Atrezzo dev stack is up. Ctrl-C stops all of it.", ""]
    width = max(len(k) for k in stack.urls)
    lines += [f"  {name.ljust(width)}  {value}" for name, value in stack.urls.items()]
    lines += ["", "Demo data:", *[f"  {line}" for line in stack.accounts]]
    lines += ["", f"  Codec token (staff): {stack.env['CODEC_TOKEN']}",
              f"  CLI from another shell: .venv/bin/atrezzo ... (it reads {stack.data}/cli.env)", f"  Logs: {stack.data}/logs/", ""]
    print("\n".join(lines), flush=True)

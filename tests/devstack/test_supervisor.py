"""`atrezzo dev` (what `make dev` runs) on a fresh data folder and its own ports: everything
it prints answers, the search attributes are registered, Ctrl-C leaves no process behind, and
a second start keeps the data and a flow that was in progress."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.supervisor import DEFAULT_PORTS

BIN = Path(sys.executable).parent
PORTS = tuple(DEFAULT_PORTS.values())
CONFIGURED = ("DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_HOST", "SMTP_PORT", "TWILIO_API_BASE_URL", "API_PORT", "PUBLIC_BASE_URL",
              "STAFF_OIDC_ISSUER", "STAFF_EMAIL_DOMAINS")


class DevStack:
    def __init__(self, data: Path, offset: int, *, ignoring_sigint: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
        env.update(ATREZZO_DEV_DATA=str(data), ATREZZO_DEV_PORT_OFFSET=str(offset))
        # As a shell starts a background job: SIGINT ignored from the start.
        preexec = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignoring_sigint else None
        self.process = subprocess.Popen(
            [str(BIN / "atrezzo"), "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=preexec,
        )
        self.banner = self._read_banner()
        self.urls = {
            line.split("http", 1)[0].strip(): "http" + line.split("http", 1)[1].strip()
            for line in self.banner.splitlines()
            if "http://" in line
        }

    def _read_banner(self, timeout: float = 120) -> str:
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            lines.append(line)
            if line.startswith("  Logs:"):
                return "".join(lines)
        self.process.kill()
        raise AssertionError("atrezzo dev did not come up:\n" + "".join(lines))

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def _temporal(address: str, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "temporal"), *args, "--address", address], capture_output=True, text=True, timeout=30, check=True
    ).stdout


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _offset_below_ephemeral_ports() -> int:
    """Ports above the kernel's ephemeral floor can be taken between two starts by any outgoing
    connection, or by the free ports the Temporal dev server picks for its own services: CI once
    saw the API's port taken that way (uvicorn exit 3). Stay below the floor, on free ports."""
    floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    highest = max(PORTS)
    while True:
        offset = random.randrange(10000, floor - highest, 100)
        if not any(_listening(port + offset) for port in PORTS):
            return offset


def _gone(pid: int, timeout: float = 10) -> bool:
    """Exited (a zombie waiting for its reaper counts: it runs nothing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_dev_stack_comes_up_answers_and_stops_cleanly(tmp_path):
    offset = _offset_below_ephemeral_ports()
    data = tmp_path / "devdata"
    stack = DevStack(data, offset)
    try:
        assert "legacy.user / Legacy-Portal-2026" in stack.banner
        assert "NPI 1234567893, registration code DEMO-REG-2026" in stack.banner
        for name, url in stack.urls.items():
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, f"{name} at {url}: {response.status_code}"
        assert httpx.get(stack.urls["Health"]).json()["status"] == "up"
        # Each process its own Prometheus endpoint; the worker's has polled Temporal by now.
        assert "temporal_request_total" in httpx.get(stack.urls["Metrics (worker)"]).text
        assert stack.urls["Metrics (api)"].endswith(f":{9464 + offset}/metrics")
        # The Temporal UI decodes payloads through the API's codec, from its own origin.
        ui_origin = f"http://127.0.0.1:{8233 + offset}"
        codec = stack.urls["Health"].replace("/healthz", "/codec/decode")
        decoded = httpx.post(codec, json={"payloads": []}, headers={"Origin": ui_origin})
        assert decoded.status_code == 200 and decoded.headers["access-control-allow-origin"] == ui_origin
        # The Kepro LOGIN's local provider: the issuer it names is the one the app was given.
        issuer = stack.urls["Kepro LOGIN (staff single sign-on)"]
        assert issuer == f"http://127.0.0.1:{9400 + offset}"
        assert httpx.get(issuer + "/.well-known/openid-configuration").json()["issuer"] == issuer
        assert "pick 'demo-staff' (staff.demo@kepro.com)" in stack.banner
        assert "STAFF_OIDC_CLIENT_SECRET=" in (data / "secrets.env").read_text()
        temporal = f"127.0.0.1:{7233 + offset}"
        attributes = _temporal(temporal, "operator", "search-attribute", "list")
        for name in ("AtrezzoProcess", "AtrezzoStep", "AtrezzoProviderNpi", "AtrezzoAccountId", "AtrezzoStepSince"):
            assert name in attributes
        _temporal(temporal, "workflow", "start", "--type", "Parked", "--task-queue", "nobody", "--workflow-id", "parked-flow")
        pg_pid = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    finally:
        status = stack.stop()
    assert status == 0
    for port in PORTS:
        assert not _listening(port + offset), f"port {port + offset} still open after Ctrl-C"
    assert _gone(pg_pid), "PostgreSQL still running after Ctrl-C"

    again = DevStack(data, offset)
    try:
        described = _temporal(f"127.0.0.1:{7233 + offset}", "workflow", "describe", "--workflow-id", "parked-flow", "-o", "json")
        assert json.loads(described)["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING"
        assert "legacy.user / Legacy-Portal-2026" in again.banner
    finally:
        assert again.stop() == 0



def _all_closed(offset: int, timeout: float = 20) -> list[int]:
    """The stack's ports still open once ``timeout`` has passed (none, normally)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        still = [port + offset for port in PORTS if _listening(port + offset)]
        if not still:
            return []
        time.sleep(0.2)
    return still


def test_every_way_of_ending_the_supervisor_ends_the_stack(tmp_path):
    """SIGINT even when it was ignored at start (a background job), SIGHUP (the terminal
    closed), and SIGKILL (no clean-up at all: the children go with it, and the next start
    finds nothing holding its ports)."""
    offset = _offset_below_ephemeral_ports()
    data = tmp_path / "devdata"
    background = DevStack(data, offset, ignoring_sigint=True)
    assert background.stop(signal.SIGINT) == 0
    assert _all_closed(offset) == []

    hung_up = DevStack(data, offset)
    assert hung_up.stop(signal.SIGHUP) == 0
    assert _all_closed(offset) == []

    killed = DevStack(data, offset)
    left_postgres = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    killed.process.kill()
    killed.process.wait(timeout=30)
    assert _all_closed(offset) == [], "children outlived their killed supervisor"

    again = DevStack(data, offset)
    try:
        assert "stopped what an earlier run left behind:" in again.banner and "postgres" in again.banner
        assert _gone(left_postgres), "the detached PostgreSQL of the killed run was not stopped"
        assert "legacy.user / Legacy-Portal-2026" in again.banner
        pg_pid = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    finally:
        assert again.stop() == 0
    assert not (data / "dev.pids").exists()
    assert _gone(pg_pid), "PostgreSQL still running after Ctrl-C"

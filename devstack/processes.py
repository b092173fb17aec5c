"""The dev stack's child processes live and die with it, and are ready once their port opens.

- Each child asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so even a
  supervisor killed with SIGKILL, or whose terminal closed, takes its children along.
- The supervisor records itself and its children, with their start times, in a pid file in
  the data folder. The next start stops what is left of a stack of its own — a process whose
  pid and start time both match the record — and leaves any other process alone (a pid
  reused by a stranger has another start time).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

PIDS_FILE = "dev.pids"
_PR_SET_PDEATHSIG = 1


class AlreadyRunning(Exception):
    """Another supervisor runs on the same data folder."""


def die_with_parent(parent: int):
    """A preexec_fn for Popen: this child gets SIGTERM when ``parent`` dies."""

    def preexec() -> None:
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:  # not Linux: the pid file still finds what was left behind
            return
        if os.getppid() != parent:  # the parent died before the request took hold
            os._exit(1)

    return preexec


def started_at(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), or None when there is no such
    process (or only its zombie): with the pid, it names one process for good."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] == "Z" else int(fields[19])


class PidFile:
    def __init__(self, data: Path) -> None:
        self.path = data / PIDS_FILE

    def record(self, children: list[tuple[str, subprocess.Popen]], daemons: dict[str, int] | None = None) -> None:
        """Ourselves, our children, and ``daemons`` (name -> pid) we started but do not parent
        (PostgreSQL's postmaster detaches): those outlive a killed supervisor, until the next start."""
        me = os.getpid()
        named = [("supervisor", me), *((name, child.pid) for name, child in children), *(daemons or {}).items()]
        self.path.write_text(json.dumps([{"name": name, "pid": pid, "started": started_at(pid)} for name, pid in named]))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def stop_stale(self, timeout: float = 10) -> list[str]:
        """Stop what a supervisor that did not exit cleanly left running; the names stopped.
        AlreadyRunning when that supervisor is itself still alive."""
        try:
            entries = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        ours = [e for e in entries if e.get("started") is not None and started_at(e["pid"]) == e["started"]]
        if any(e["name"] == "supervisor" for e in ours):
            supervisor = next(e for e in ours if e["name"] == "supervisor")
            raise AlreadyRunning(f"another atrezzo dev (pid {supervisor['pid']}) runs on {self.path.parent}")
        for entry in ours:
            _signal_group(entry["pid"], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for entry in ours:
            while started_at(entry["pid"]) == entry["started"] and time.monotonic() < deadline:
                time.sleep(0.1)
            if started_at(entry["pid"]) == entry["started"]:
                _signal_group(entry["pid"], signal.SIGKILL)
        self.remove()
        return [e["name"] for e in ours]


def _signal_group(pid: int, sig: int) -> None:
    # Each child leads a session of its own (its pid is its group's): its own children go too.
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class StartupError(Exception):
    pass


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(name: str, port: int, child: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if child.poll() is not None:
            raise StartupError(f"{name} exited during start-up (exit {child.returncode}); see its log in the logs folder")
        if time.monotonic() > deadline:
            raise StartupError(f"{name} did not open port {port} within {timeout:.0f}s")
        time.sleep(0.1)

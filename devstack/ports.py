"""Loopback ports for the processes a harness starts, and whether a process holds its own."""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

import psutil

# Below this, ports are left to well-known services that may start later on a developer's machine.
LOWEST = 15_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """One port free now, for a process that binds it before another is picked."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free now, for processes that bind them a little later.

    They are picked outside the kernel's ephemeral range. Inside it, a port free now may be one
    another program had the kernel pick (bind to port 0), let go and binds later, as the Temporal
    dev server does for an internal port it listens on after its frontend is up; or one the kernel
    gives an outgoing connection. Each is held until all are picked."""
    with contextlib.ExitStack() as held:
        ports: list[int] = []
        for port in _outside_ephemeral_range():
            try:
                held.enter_context(_bound(port))
            except OSError:
                continue  # someone listens there, or a connection of theirs is closing
            ports.append(port)
            if len(ports) == count:
                return ports
        # No room outside the ephemeral range (a machine that made it all ephemeral): the kernel picks.
        sockets = [held.enter_context(socket.socket()) for _ in range(count - len(ports))]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return ports + [s.getsockname()[1] for s in sockets]


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel picks from, for outgoing connections and binds to port 0 (inclusive)."""
    try:
        low, high = EPHEMERAL_RANGE.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _outside_ephemeral_range() -> list[int]:
    low, high = ephemeral_range()
    ports = [*range(LOWEST, low), *range(max(high + 1, LOWEST), 65536)]
    random.shuffle(ports)
    return ports


def _bound(port: int) -> socket.socket:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def holds(pid: int, port: int) -> bool:
    """Whether the process ``pid`` (or one it started) listens on ``port``."""
    process = psutil.Process(pid)
    for member in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in member.net_connections("tcp")):
                return True
    return False

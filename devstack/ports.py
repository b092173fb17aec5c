"""Loopback ports for the processes a harness starts, and whether a process holds its own."""

from __future__ import annotations

import contextlib
import socket

import psutil


def free_port() -> int:
    """One port free now, for a process that binds it before another is picked."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free now. Each is held until all are picked: a port let go at
    once may be handed out again by the next pick."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def holds(pid: int, port: int) -> bool:
    """Whether the process ``pid`` (or one it started) listens on ``port``."""
    process = psutil.Process(pid)
    for member in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in member.net_connections("tcp")):
                return True
    return False

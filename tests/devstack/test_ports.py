"""Ports picked for a harness's processes (devstack/ports.py): distinct when picked together,
and a process counts as holding a port only when it, or a child of it, listens there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from devstack.ports import free_ports, holds


def test_ports_picked_together_are_distinct():
    ports = free_ports(64)
    assert len(set(ports)) == 64


def test_a_port_is_held_by_the_process_listening_on_it_not_by_another():
    with socket.create_server(("127.0.0.1", 0)) as ours:
        port = ours.getsockname()[1]
        assert holds(os.getpid(), port)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert not holds(child.pid, port)  # a stranger to the port
        finally:
            child.kill()
            child.wait()

"""Ports picked for a harness's processes (devstack/ports.py): distinct when picked together, never
one the kernel picked for another program, and a process counts as holding a port only when it,
or a child of it, listens there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psutil

from devstack.ports import free_port, free_ports, holds


def test_ports_picked_together_are_distinct():
    ports = free_ports(64)
    assert len(set(ports)) == 64


def test_a_port_another_program_had_the_kernel_pick_is_never_picked():
    # The Temporal dev server has the kernel pick a port (bind to port 0), lets it go, and binds it
    # again only after its frontend answers; a worker started then failed to listen on its
    # metrics port in a CI run. Thousands of such picks, each let go, and ours after them: none
    # may be one of theirs.
    theirs = set()
    for _ in range(5_000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            theirs.add(s.getsockname()[1])
    assert len(theirs) > 1000  # the kernel did spread its picks
    assert not set(free_ports(64)) & theirs


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


def test_a_port_a_child_listens_on_is_held_by_its_parent():
    # A launcher that serves from a process it starts still counts as holding its port.
    port = free_port()
    serve = f"import subprocess, sys; subprocess.run([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', '{port}'])"
    parent = subprocess.Popen([sys.executable, "-c", serve], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not holds(parent.pid, port):
            assert time.monotonic() < deadline, f"nothing listened on {port}"
            time.sleep(0.1)
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()

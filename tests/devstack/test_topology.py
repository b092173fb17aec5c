"""A topology's process counts as started only when it holds its own port: a port picked free
and then taken by another process (the kernel hands a free port out again; the Temporal dev
server picks its internal ports at start) must stop the start with a clear message, not send
the harness to the stranger."""

from __future__ import annotations

import socket
import sys

import pytest

from devstack.ports import free_port
from devstack.topology import Topology, TopologyError


async def test_a_process_whose_port_another_holds_is_not_taken_as_started(tmp_path):
    stranger = socket.create_server(("127.0.0.1", 0))
    port = stranger.getsockname()[1]
    topology = Topology(tmp_path)
    topology.logs.mkdir(parents=True)
    # Never binds: only the stranger answers on its port.
    topology.add("quiet", [sys.executable, "-c", "import time; time.sleep(60)"], port)
    try:
        with pytest.raises(TopologyError, match=f"quiet does not hold port {port}"):
            await topology.start_process("quiet")
    finally:
        stranger.close()
        await topology.stop_process("quiet")


async def test_a_process_that_holds_its_port_is_started(tmp_path):
    port = free_port()
    topology = Topology(tmp_path)
    topology.logs.mkdir(parents=True)
    topology.add("server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], port)
    try:
        await topology.start_process("server")
        assert topology.processes["server"].running
    finally:
        await topology.stop_process("server")


async def test_a_process_that_exits_while_starting_is_reported_with_the_end_of_its_log(tmp_path):
    # A CI run keeps the test's output, not the topology's folder: why it exited must be in it.
    topology = Topology(tmp_path)
    topology.logs.mkdir(parents=True)
    fails = "import sys; print('ValueError: Failed starting Prometheus exporter'); sys.exit(1)"
    topology.add("worker", [sys.executable, "-c", fails], free_port())
    with pytest.raises(TopologyError, match="(?s)worker exited while starting.*Failed starting Prometheus exporter"):
        await topology.start_process("worker")

"""The application as it is deployed, for the benchmarks: the loopback topology of separate
processes (devstack/topology.py: Temporal, PostgreSQL, the SMTP sink, the Twilio sandbox, two
APIs and two workers, as docker-compose.yml's replicas) with nothing between them, and the
engine floor's worker in a process of its own. What each kind of process spent on the CPU can
be read at any moment, so a row can say what one flow cost where."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from devstack.ports import free_port
from devstack.topology import REPLICAS, Topology

FLOOR_WORKER = "floor-worker"
# What the CPU table's columns sum: the processes of each kind.
KINDS = {
    "API": tuple(f"api-{r}" for r in REPLICAS),
    "workers": tuple(f"worker-{r}" for r in REPLICAS),
    "Temporal": ("temporal",),
    "floor worker": (FLOOR_WORKER,),
    # The SMTP sink and the Twilio sandbox stand for providers elsewhere, but they share the
    # two cores here: what they spent is shown, not hidden.
    "sandboxes": ("smtp-sink", "twilio-sandbox"),
}
POSTGRES = "PostgreSQL"


@dataclass
class Deployed:
    topology: Topology

    @property
    def api_urls(self) -> list[str]:
        return self.topology.api_urls

    def cpu_seconds(self) -> dict[str, float]:
        """CPU-seconds (user + system) each kind of process has spent since it started."""
        spent = {kind: sum(_cpu(self.topology.processes[name].popen.pid) for name in names) for kind, names in KINDS.items()}
        # The postmaster and its backends (one per pooled connection), also those that ended.
        spent[POSTGRES] = _cpu(int((self.topology.pgdata / "postmaster.pid").read_text().split()[0]))
        return spent


@asynccontextmanager
async def deployed() -> AsyncIterator[Deployed]:
    with tempfile.TemporaryDirectory(prefix="atrezzo-bench-") as folder:
        topology = Topology(Path(folder))
        try:
            await topology.start()
            port = free_port()
            topology.add(FLOOR_WORKER, [sys.executable, "-m", "bench.floor_worker"], port,
                         {**topology.app_env, "READY_PORT": str(port)})
            await topology.start_process(FLOOR_WORKER)
            yield Deployed(topology)
        finally:
            await topology.stop()


def _cpu(pid: int) -> float:
    """A process's CPU time with that of its children, living and ended."""
    process = psutil.Process(pid)
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total

"""The flow metrics interceptor: one start per flow however often it is replayed, the end by
the status the flow's view shows, and a flow that cannot be counted still ends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

# The workflow below is defined here, so the sandbox imports this module too.
with workflow.unsafe.imports_passed_through():
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from engine import search_attributes as sa
    from engine.interceptors import FlowMetrics
    from engine.telemetry import prometheus_runtime
    from devstack.ports import free_port


@dataclass
class View:
    status: str


@workflow.defn
class EndsAs:
    @workflow.init
    def __init__(self, status: str) -> None:
        workflow.upsert_search_attributes([sa.PROCESS.value_set("probe")])
        self._status = status
        self._release = False

    @workflow.run
    async def run(self, status: str) -> str:
        if status == "raise":
            raise ApplicationError("gave up", non_retryable=True)
        await workflow.wait_condition(lambda: self._release)
        return status

    @workflow.signal
    def release(self) -> None:
        self._release = True

    @workflow.query
    def view(self) -> View:
        if self._status == "unreadable":
            raise RuntimeError("no view")
        return View(self._status)


def _counts(text: str) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("atrezzo_flows_") and s.labels.get("process") == "probe":
                found[(s.name, s.labels.get("status", ""))] = s.value
    return found


async def test_starts_and_ends_are_counted_once_by_status(temporal_address):
    address = f"127.0.0.1:{free_port()}"
    client = await Client.connect(temporal_address, runtime=prometheus_runtime(address))
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    # max_cached_workflows=0: every task replays the history so far, as after a worker restart.
    async with Worker(client, task_queue=queue, workflows=[EndsAs], interceptors=[FlowMetrics()], max_cached_workflows=0):
        handles = {}
        for status in ("completed", "failed", "unreadable", "cancelled", "raise"):
            handles[status] = await client.start_workflow(EndsAs.run, status, id=f"probe-{uuid.uuid4()}", task_queue=queue)
        for status in ("completed", "failed", "unreadable"):
            await handles[status].signal(EndsAs.release)
            assert await handles[status].result() == status
        await handles["cancelled"].cancel()
        for status in ("cancelled", "raise"):
            try:
                await handles[status].result()
            except WorkflowFailureError:
                pass
        # A query of a closed flow replays it whole once more.
        assert (await handles["failed"].query(EndsAs.view)).status == "failed"

    async with httpx.AsyncClient() as http:
        counts = _counts((await http.get(f"http://{address}/metrics")).text)
    assert counts == {
        ("atrezzo_flows_started_total", ""): 5,
        ("atrezzo_flows_finished_total", "completed"): 1,
        ("atrezzo_flows_finished_total", "failed"): 2,  # its view said so; the other raised
        ("atrezzo_flows_finished_total", "cancelled"): 1,
    }

"""One Prometheus endpoint per process serves Temporal's SDK metrics and the engine's own:
flows started and finished by process, codes sent by channel, send failures, API requests.
The API and the worker share the test process here, so they share one endpoint."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from devstack.ports import free_port
from engine.telemetry import Telemetry, prometheus_runtime
from tests.support.app import running_app

EMAIL = "count.me@example.com"
JSON = {"content-type": "application/json"}


def _value(text: str, sample: str, **labels: str) -> float:
    """The sum over every series of ``sample`` whose labels include ``labels``."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample and labels.items() <= s.labels.items()
    )


async def _scrape(address: str, until) -> str:
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            text = (await http.get(f"http://{address}/metrics")).text
            if until(text):
                return text
            await asyncio.sleep(0.05)
    return text


async def test_flows_codes_failures_and_temporal_metrics_on_one_endpoint(temporal_env, smtp_sink, twilio_sandbox, db_url, mail, phones):
    address = f"127.0.0.1:{free_port()}"
    telemetry = Telemetry(runtime=prometheus_runtime(address))
    async with running_app(temporal_env, smtp_sink, twilio_sandbox, db_url, telemetry=telemetry, metrics_address=address) as app:
        async with app.http() as http:
            await http.post("/api/v1/challenge", json={"channel": "email", "destination": EMAIL})
            await http.post("/api/v1/challenge/send", headers=JSON)
            await mail.wait_for_messages_to(EMAIL)
            verified = await http.post("/api/v1/challenge/verify", json={"code": mail.last_code_to(EMAIL)})
            assert verified.json()["status"] == "completed"
        async with app.http() as http:
            await http.post("/api/v1/challenge", json={"channel": "sms", "destination": "not-a-number"})
            refused = await http.post("/api/v1/challenge/send", headers=JSON)
            assert refused.json()["errors"], refused.text

        text = await _scrape(address, lambda t: _value(t, "atrezzo_flows_finished_total", process="challenge") >= 1)

    assert _value(text, "atrezzo_flows_started_total", process="challenge") == 2
    assert _value(text, "atrezzo_flows_finished_total", process="challenge", status="completed") == 1
    assert _value(text, "atrezzo_codes_sent_total", channel="email", purpose="login") == 1
    assert _value(text, "atrezzo_codes_sent_total", channel="sms") == 0
    assert _value(text, "atrezzo_send_failures_total", channel="sms", reason="refused") == 1
    # The API's requests by route template and status.
    assert _value(text, "atrezzo_http_request_duration_seconds_count", method="POST", route="/api/v1/challenge/send", status="200") == 2
    assert _value(text, "atrezzo_http_request_duration_seconds_count", route="/api/v1/challenge", status="201") == 2
    # Temporal's own, from the same runtime: the worker's completions and the clients' requests.
    assert _value(text, "temporal_workflow_completed_total") >= 1
    assert _value(text, "temporal_request_total", operation="StartWorkflowExecution") >= 2

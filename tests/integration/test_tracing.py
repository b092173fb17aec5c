"""One trace from the HTTP request through the flow to the SMTP or Twilio call: the API and the
worker share a tracer provider with an in-memory exporter (each deployed process has its own,
exporting to the same collector), and the request arrives with a caller's traceparent."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from engine.telemetry import Telemetry
from tests.support.app import running_app

EMAIL = "trace.me@example.com"
PHONE = "+12025550188"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"
JSON = {"content-type": "application/json"}


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@pytest.fixture
async def traced_app(temporal_env, smtp_sink, twilio_sandbox, db_url, spans):
    async with running_app(temporal_env, smtp_sink, twilio_sandbox, db_url, telemetry=Telemetry(tracer_provider=spans[0])) as app:
        yield app


async def _send_code(traced_app, channel: str, destination: str) -> None:
    async with traced_app.http() as http:
        started = await http.post("/api/v1/challenge", json={"channel": channel, "destination": destination})
        assert started.status_code == 201, started.text
        sent = await http.post("/api/v1/challenge/send", headers={**JSON, "traceparent": TRACEPARENT})
        assert sent.status_code == 200 and not sent.json()["errors"], sent.text


async def _finished(exporter: InMemorySpanExporter, *names: str) -> list[ReadableSpan]:
    """The server span ends just after its response is on the wire: wait for it (bounded)."""
    for _ in range(100):
        found = exporter.get_finished_spans()
        if all(any(s.name == name for s in found) for name in names):
            return list(found)
        await asyncio.sleep(0.05)
    raise AssertionError(f"spans {names} never finished; got {[s.name for s in exporter.get_finished_spans()]}")


def _ancestry(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    by_id = {s.context.span_id: s for s in spans}
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def _text_of(spans: list[ReadableSpan]) -> str:
    return "\n".join(f"{s.name} {dict(s.attributes or {})} {[(e.name, dict(e.attributes or {})) for e in s.events]}" for s in spans)


@pytest.mark.parametrize("channel,destination,activity,call", [
    ("email", EMAIL, "send_code_email", "SMTP send"),
    ("sms", PHONE, "send_code_sms", "Twilio messages.create"),
])
async def test_the_request_that_asks_for_a_code_traces_down_to_the_provider_call(
    traced_app, spans, mail, phones, channel, destination, activity, call
):
    await _send_code(traced_app, channel, destination)
    found = await _finished(spans[1], "POST /api/v1/challenge/send", call)
    [provider_call] = [s for s in found if s.name == call]
    [request] = [s for s in found if s.name == "POST /api/v1/challenge/send"]

    # The caller's trace continues through the API, Temporal and the worker to the provider.
    assert format(request.context.trace_id, "032x") == CALLER_TRACE
    assert provider_call.context.trace_id == request.context.trace_id
    assert _ancestry(provider_call, found) == [
        f"RunActivity:{activity}", f"StartActivity:{activity}", "StartWorkflowUpdate:send_code", "POST /api/v1/challenge/send"
    ]
    assert any(s.name == "HandleUpdate:send_code" and s.context.trace_id == request.context.trace_id for s in found)
    assert provider_call.attributes["atrezzo.channel"] == channel
    assert provider_call.attributes["atrezzo.purpose"] == "login"
    assert provider_call.attributes["messaging.message.id"]

    # Traces carry names and ids, never the destination or the code.
    code = mail.last_code_to(EMAIL) if channel == "email" else phones.last_code_sms_to(PHONE)
    text = _text_of(found)
    assert "challenge-" in text  # the reading is real: workflow ids are there
    assert destination not in text and code not in text


async def test_a_refused_number_marks_the_twilio_span_without_quoting_the_number(traced_app, spans):
    async with traced_app.http() as http:
        await http.post("/api/v1/challenge", json={"channel": "sms", "destination": "not-a-number"})
        refused = await http.post("/api/v1/challenge/send", headers=JSON)
        assert refused.json()["errors"], refused.text
    found = await _finished(spans[1], "Twilio messages.create", "POST /api/v1/challenge/send")
    [call] = [s for s in found if s.name == "Twilio messages.create"]
    assert call.status.status_code.name == "ERROR" and call.status.description == "TwilioRestException"
    leaks = [s.name for s in found if "not-a-number" in _text_of([s])]
    assert not leaks, leaks

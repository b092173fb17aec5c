"""Telemetry per process: nothing unless asked; a Prometheus endpoint on METRICS_ADDRESS;
spans to an OTLP collector at OTEL_EXPORTER_OTLP_ENDPOINT."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import opentelemetry.trace
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.common import MetricMeter

from devstack.ports import free_port
from engine import metrics
from engine.interceptors import FlowTracing
from engine.telemetry import Telemetry, for_process, tracer_of
from tests.support.temporal import client_for, make_settings


def test_by_default_a_process_records_and_exports_nothing():
    telemetry = for_process(make_settings(), "api")
    assert telemetry.runtime is None and telemetry.tracer_provider is None
    assert telemetry.meter is MetricMeter.noop
    assert isinstance(telemetry.tracer, opentelemetry.trace.NoOpTracer)
    assert telemetry.client_interceptors() == []


def test_metrics_address_serves_prometheus_and_is_bound_once_per_process():
    settings = make_settings(metrics_address=f"127.0.0.1:{free_port()}")
    api, worker = for_process(settings, "api"), for_process(settings, "worker")
    assert api.runtime is worker.runtime is not None  # a second bind of the address would fail
    metrics.flow_started(api.meter, "registration")
    metrics.code_sent(worker.meter, "sms", "login")
    text = httpx.get(f"http://{settings.metrics_address}/metrics").text
    assert 'atrezzo_flows_started_total{process="registration"' in text
    assert 'atrezzo_codes_sent_total{channel="sms",purpose="login"' in text


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_go_to_the_otlp_endpoint_under_the_process_service_name():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        telemetry = for_process(make_settings(otel_exporter_otlp_endpoint=f"http://127.0.0.1:{server.server_port}/"), "worker")
        with telemetry.tracer.start_as_current_span("SMTP send"):
            pass
        telemetry.flush()
    finally:
        server.shutdown()
    [(path, content_type, body)] = _Collector.received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    assert b"SMTP send" in body and b"atrezzo-worker" in body
    assert [type(i) for i in telemetry.client_interceptors()] == [FlowTracing]


async def test_a_worker_takes_its_tracer_from_the_client_interceptor(temporal_env):
    telemetry = Telemetry(tracer_provider=TracerProvider())
    settings = make_settings()
    plain = client_for(temporal_env, settings)
    traced = Client(**{**plain.config(), "interceptors": telemetry.client_interceptors()})
    assert tracer_of(traced) is telemetry.tracer
    assert isinstance(tracer_of(plain), opentelemetry.trace.NoOpTracer)

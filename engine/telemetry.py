"""What a long-running process (the API, a worker) reports through: a Temporal runtime that
serves Prometheus metrics, and an OpenTelemetry tracer provider that exports spans.

Both are off unless configured (METRICS_ADDRESS, OTEL_EXPORTER_OTLP_ENDPOINT). Short commands
(the CLI) connect without telemetry: they must not take the API's metrics port.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import opentelemetry.trace
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from engine.interceptors import FlowTracing
from settings import Settings

TRACER_NAME = "atrezzo"


@dataclass(frozen=True)
class Telemetry:
    # None: Temporal's default runtime, which records no metrics.
    runtime: Runtime | None = None
    # None: no spans at all, not even through Temporal's interceptor (see client_interceptors).
    tracer_provider: opentelemetry.trace.TracerProvider | None = None

    @property
    def meter(self) -> MetricMeter:
        return self.runtime.metric_meter if self.runtime is not None else MetricMeter.noop

    @functools.cached_property
    def tracer(self) -> opentelemetry.trace.Tracer:
        if self.tracer_provider is None:
            return opentelemetry.trace.NoOpTracer()
        return self.tracer_provider.get_tracer(TRACER_NAME)

    def client_interceptors(self) -> list:
        """Tracing off adds no interceptor: with nothing to record, headers and wrappers on
        every start, update, signal and activity would be pure cost."""
        return [FlowTracing(self.tracer)] if self.tracer_provider is not None else []

    def flush(self) -> None:
        """Export the spans still batched; processes end with os._exit, which would drop them."""
        force_flush = getattr(self.tracer_provider, "force_flush", None)
        if force_flush is not None:
            force_flush()


def for_process(settings: Settings, service: str) -> Telemetry:
    """The telemetry of this process (``service``: "api" or "worker"), as the settings ask."""
    runtime = prometheus_runtime(settings.metrics_address) if settings.metrics_address else None
    provider = None
    if settings.otel_exporter_otlp_endpoint:
        provider = _otlp_tracer_provider(settings.otel_exporter_otlp_endpoint, settings.otel_service_name or f"atrezzo-{service}")
    return Telemetry(runtime=runtime, tracer_provider=provider)


def tracer_of(client: Client) -> opentelemetry.trace.Tracer:
    """The tracer of the client's tracing interceptor, so that a worker's own spans (SMTP,
    Twilio) land in the same provider as Temporal's; a no-op tracer without one."""
    for interceptor in client.config()["interceptors"]:
        if isinstance(interceptor, TracingInterceptor):
            return interceptor.tracer
    return opentelemetry.trace.NoOpTracer()


# One listener per address per process (a second bind fails), however many apps or workers
# the process builds: the API and a worker in one test process share it.
@functools.cache
def prometheus_runtime(address: str) -> Runtime:
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=address, counters_total_suffix=True, unit_suffix=True, durations_as_seconds=True
            )
        )
    )


@functools.cache
def _otlp_tracer_provider(endpoint: str, service_name: str) -> opentelemetry.trace.TracerProvider:
    # Imported here: a process without a collector never loads the exporter.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    return provider

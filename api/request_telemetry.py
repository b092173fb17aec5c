"""One server span, one access-log line and one sample of the request-duration metric per
HTTP request.

The span continues the caller's W3C ``traceparent`` and is current while the route runs, so
the flow start, update or signal the route sends (and, through Temporal's headers, the
workflow and the SMTP or Twilio call) join the request's trace. Neither the span nor the log
line holds the query string: link tokens travel in it (uvicorn's own access log stays off).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import opentelemetry.trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.common import MetricMeter

from api.http_middleware import HttpMiddleware
from engine import metrics

log = logging.getLogger("atrezzo.http")
_PROPAGATOR = TraceContextTextMapPropagator()


class RequestTelemetry(HttpMiddleware):
    def __init__(self, app: ASGIApp, tracer: opentelemetry.trace.Tracer, meter: MetricMeter) -> None:
        super().__init__(app)
        self.tracer = tracer
        self.durations = metrics.http_request_durations(meter)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in (b"traceparent", b"tracestate")}
        method, path = scope["method"], scope["path"]
        status = 500
        started = time.perf_counter()

        async def send_and_note_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            method,
            context=_PROPAGATOR.extract(carrier),
            kind=opentelemetry.trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:
            try:
                await self.app(scope, receive, send_and_note_status)
            finally:
                # Known once routing has happened: the template keeps span names few.
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(opentelemetry.trace.StatusCode.ERROR)
                took = time.perf_counter() - started
                # Unrouted paths (404s, scanners) share one label value rather than one each.
                self.durations.record(timedelta(seconds=took), {"method": method, "route": route or "unmatched", "status": str(status)})
                log.info(
                    "%s %s %s", method, path, status,
                    extra={"http_method": method, "http_path": path, "http_status": status, "duration_ms": round(took * 1000, 1)},
                )

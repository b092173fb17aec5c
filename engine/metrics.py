"""The engine's own metrics, recorded through a Temporal metric meter so they come out of the
same Prometheus endpoint as the SDK's (README "Observability" lists them).

In workflows pass ``workflow.metric_meter()`` (it records nothing while replaying), in
activities ``activity.metric_meter()``, elsewhere the runtime's meter. Labels hold names of
processes, channels and outcomes only: never an address, a number or an id.
"""

from __future__ import annotations

from temporalio.common import MetricHistogramTimedelta, MetricMeter

FLOWS_STARTED = "atrezzo_flows_started"
FLOWS_FINISHED = "atrezzo_flows_finished"
CODES_SENT = "atrezzo_codes_sent"
LINKS_SENT = "atrezzo_links_sent"
SEND_FAILURES = "atrezzo_send_failures"
HTTP_REQUEST_DURATION = "atrezzo_http_request_duration"
DEPENDENCY_UP = "atrezzo_dependency_up"


def flow_started(meter: MetricMeter, process: str) -> None:
    """Every start (by the API, as a child of another flow, by an operator's restart)."""
    meter.create_counter(FLOWS_STARTED, "Flows started, by process").add(1, {"process": process})


def flow_finished(meter: MetricMeter, process: str, status: str) -> None:
    """``status`` is the flow's own ending: completed, failed (expired, abandoned, refused) or cancelled."""
    meter.create_counter(FLOWS_FINISHED, "Flows that ended, by process and status").add(
        1, {"process": process, "status": status}
    )


def code_sent(meter: MetricMeter, channel: str, purpose: str) -> None:
    """A code (email, sms) or a verification call (voice) went out."""
    meter.create_counter(CODES_SENT, "Verification codes and calls sent, by channel").add(
        1, {"channel": channel, "purpose": purpose}
    )


def link_sent(meter: MetricMeter, template: str) -> None:
    meter.create_counter(LINKS_SENT, "Single-use links emailed, by email template").add(1, {"template": template})


def send_failed(meter: MetricMeter, channel: str, reason: str) -> None:
    """``reason``: ``refused`` (the provider refused the destination; not retried) or ``error``
    (anything else; Temporal retries the activity, and each failed attempt counts)."""
    meter.create_counter(SEND_FAILURES, "Failed attempts to send an email, SMS or call, by channel").add(
        1, {"channel": channel, "reason": reason}
    )


def http_request_durations(meter: MetricMeter) -> MetricHistogramTimedelta:
    """Made once per app; record with labels ``method``, ``route`` (the route's template, never
    the raw path) and ``status``. Its ``_count`` is the request count."""
    return meter.create_histogram_timedelta(HTTP_REQUEST_DURATION, "API requests by route and status, and how long they took")


def dependency_states(meter: MetricMeter):
    """Made once per app; set to 1 (up, or external and not probed) or 0 per ``dependency``
    each time the API's health probe runs."""
    return meter.create_gauge(DEPENDENCY_UP, "Whether the API reaches each dependency (1) or not (0)")

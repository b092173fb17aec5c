"""Temporal interceptors: traces that follow a person's actions into the flow, and the flow
metrics (started, finished), without touching any workflow.

Both classes are used from inside the workflow sandbox but defined here, outside it, like
Temporal's own tracing interceptor; they only read workflow state and record telemetry,
which adds no command to history (replay is unchanged).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import opentelemetry.context
import opentelemetry.trace
from temporalio import workflow
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor
from temporalio.exceptions import FailureError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from engine import metrics
from engine import search_attributes as sa


class FlowTracing(TracingInterceptor):
    """Temporal's tracing interceptor, except that an update's handler runs in the trace of
    the request that sent it. Upstream puts it in the trace of the workflow's start (with a
    link to the caller); ours would then lose "Send code" -> send_code_email -> SMTP from the
    HTTP request that asked for it, since every user action is an update."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)  # registers the span-making extern function
        return _UpdatesInCallerTrace


class _UpdatesInCallerTrace(TracingWorkflowInboundInterceptor):
    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        header = input.headers.get(self.header_key)
        carrier = self.payload_converter.from_payloads([header])[0] if header else None
        if not carrier:
            return await super().handle_update_handler(input)
        context = self._set_on_context(self.text_map_propagator.extract(carrier))
        with _attached(context):
            self._completed_span(f"HandleUpdate:{input.update}", kind=opentelemetry.trace.SpanKind.SERVER)
            # Past the upstream handler, which would re-attach the start's context.
            return await WorkflowInboundInterceptor.handle_update_handler(self, input)


@contextmanager
def _attached(context: opentelemetry.context.Context) -> Iterator[None]:
    token = opentelemetry.context.attach(context)
    try:
        yield
    finally:
        # An evicted workflow's handler may be finalised in another contextvars context, where
        # the token is not valid and there is nothing to detach.
        try:
            token.var.reset(token)
        except (ValueError, RuntimeError):
            pass


class FlowMetrics(Interceptor):
    """Counts every flow that starts (by process) and ends (by process and the status its view
    shows), wherever it was started from: the API, a parent flow, an operator's restart."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _CountFlows


class _CountFlows(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        # The meter records nothing while replaying: a flow picked up again by another worker
        # is not counted twice. Flows set their process in __init__, which has run by now.
        try:
            metrics.flow_started(workflow.metric_meter(), _process())
        except Exception:
            workflow.logger.warning("could not count a flow's start", exc_info=True)
        try:
            result = await self.next.execute_workflow(input)
        except asyncio.CancelledError:
            _finished("cancelled")
            raise
        except workflow.ContinueAsNewError:
            raise
        except FailureError:
            _finished("failed")
            raise
        _finished(None)
        return result


def _finished(status: str | None) -> None:
    # Counting must never fail a flow that is done: an error here would fail its last task.
    try:
        if status is None:
            # A flow ends normally also when it failed for the person (link expired,
            # abandoned): its view says which.
            view = getattr(workflow.instance(), "view", None)
            status = getattr(view(), "status", "completed") if callable(view) else "completed"
            status = "completed" if status == "running" else status
        process = _process()
        metrics.flow_finished(workflow.metric_meter(), process, status)
        workflow.logger.info("flow ended", extra={"flow_process": process, "flow_status": status})
    except Exception:
        workflow.logger.warning("could not count a flow's end", exc_info=True)


def _process() -> str:
    info = workflow.info()
    return info.typed_search_attributes.get(sa.PROCESS) or info.workflow_type

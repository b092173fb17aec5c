"""Which of Temporal's refusals mean "try again" (503) and which are a bug (500)."""

import pytest
from temporalio.service import RPCError, RPCStatusCode

from api.resources import temporal_outage


@pytest.mark.parametrize(("status", "message"), [
    (RPCStatusCode.UNAVAILABLE, "connection refused"),
    (RPCStatusCode.DEADLINE_EXCEEDED, "context deadline exceeded"),
    (RPCStatusCode.CANCELLED, "Timeout expired"),
    (RPCStatusCode.RESOURCE_EXHAUSTED, "namespace rate limit exceeded"),
    (RPCStatusCode.UNKNOWN, "transport error"),
    # A flow whose workflow task keeps failing: no worker of ours can answer for it now.
    (RPCStatusCode.FAILED_PRECONDITION, "Unable to query workflow due to Workflow Task in failed state."),
    # An update sent while no worker polls (Temporal just restarted, or every worker is down):
    # the full proving ground's Temporal restart met it as a 500.
    (RPCStatusCode.FAILED_PRECONDITION, "no poller seen for task queue recently, worker may be down"),
])
def test_temporal_not_answering_is_an_outage(status, message):
    assert temporal_outage(RPCError(message, status, None))


@pytest.mark.parametrize(("status", "message"), [
    (RPCStatusCode.INVALID_ARGUMENT, "bad request"),
    (RPCStatusCode.FAILED_PRECONDITION, "workflow execution already completed"),
    (RPCStatusCode.UNKNOWN, "unexpected"),
    (RPCStatusCode.NOT_FOUND, "workflow not found"),
])
def test_a_refusal_of_the_request_is_not_an_outage(status, message):
    assert not temporal_outage(RPCError(message, status, None))

"""The durations a flow is started with come from the settings, FLOW_TASK_TIMEOUT too: a flow
starts its children with it (workflows cannot read settings)."""

from __future__ import annotations

from datetime import timedelta

from api.flow_timings import flow_timings
from tests.support.temporal import make_settings


def test_the_flow_task_timeout_rides_in_the_timings_to_the_children():
    timings = flow_timings(make_settings(flow_task_timeout=timedelta(seconds=2.5)))
    assert timings.task_timeout == timedelta(seconds=2.5)


def test_overrides_leave_the_task_timeout_alone():
    settings = make_settings()
    timings = flow_timings(settings, code_ttl=timedelta(seconds=30), idle=timedelta(minutes=15))
    assert (timings.code_ttl_seconds, timings.idle_seconds) == (30, 15 * 60)
    assert timings.task_timeout == settings.flow_task_timeout == timedelta(seconds=10)

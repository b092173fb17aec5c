"""The durations a flow is started with, from the settings: workflows cannot read settings
themselves, so each start carries them."""

from __future__ import annotations

from datetime import timedelta

from settings import Settings
from workflows.timings import Timings


def flow_timings(settings: Settings, *, code_ttl: timedelta | None = None, idle: timedelta | None = None) -> Timings:
    """The durations a flow is started with (workflows cannot read settings themselves).
    ``code_ttl`` and ``idle`` override the enrollment values, e.g. for the 30-second login code."""
    return Timings(
        link_ttl_seconds=int(settings.registration_link_ttl.total_seconds()),
        code_ttl_seconds=int((code_ttl or settings.enrollment_code_ttl).total_seconds()),
        resend_cooldown_seconds=int(settings.code_resend_cooldown.total_seconds()),
        max_sends=settings.code_max_sends,
        max_wrong_tries=settings.code_max_wrong_tries,
        idle_seconds=int((idle or settings.enrollment_idle_timeout).total_seconds()),
        pending_ttl_seconds=int(settings.pending_account_ttl.total_seconds()),
        task_timeout_seconds=settings.flow_task_timeout.total_seconds(),
    )

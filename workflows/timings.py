"""Durations and limits a flow runs with. Workflows cannot read settings (they must replay the
same way forever), so the API copies these from the settings into each flow's start input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.code_challenge import CodePolicy


@dataclass(frozen=True)
class Timings:
    link_ttl_seconds: int = 20 * 60
    code_ttl_seconds: int = 10 * 60
    resend_cooldown_seconds: int = 20
    max_sends: int = 10
    max_wrong_tries: int = 5
    # An enrollment nobody touches for this long closes; what was saved stays saved.
    idle_seconds: int = 60 * 60
    # A new account whose email nobody verified is released this long after it was made.
    pending_ttl_seconds: int = 24 * 60 * 60
    # FLOW_TASK_TIMEOUT, for the flows this one starts (an enrollment); 0 in a run from before
    # it, whose children keep Temporal's default.
    task_timeout_seconds: float = 0

    def code_policy(self) -> CodePolicy:
        return CodePolicy(
            ttl=timedelta(seconds=self.code_ttl_seconds),
            resend_cooldown=timedelta(seconds=self.resend_cooldown_seconds),
            max_sends=self.max_sends,
            max_wrong_tries=self.max_wrong_tries,
        )

    @property
    def idle(self) -> timedelta:
        return timedelta(seconds=self.idle_seconds)

    @property
    def task_timeout(self) -> timedelta | None:
        return timedelta(seconds=self.task_timeout_seconds) if self.task_timeout_seconds else None

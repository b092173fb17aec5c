"""Recorded histories must replay against today's code: a change that would break flows
already running in production fails here (regenerate with `python -m tests.replay.record`
only when the change is meant to)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.support.challenge_flow import ChallengeFlow

HISTORIES = Path(__file__).parent / "histories"


@pytest.mark.parametrize("name", ["challenge_email.json"])
async def test_recorded_history_replays(name):
    history = WorkflowHistory.from_json("replayed", (HISTORIES / name).read_text())
    result = await Replayer(workflows=[ChallengeFlow]).replay_workflow(history)
    assert result.replay_failure is None

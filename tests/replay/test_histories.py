"""Recorded histories must replay against today's code: a change that would break flows
already running in production fails here. Each folder of ``histories/`` is one recording,
named by its date; a change of what flows do records a new one (`python -m tests.replay.record`)
beside the old, which stays as long as flows it stands for may still run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.replay.record_restarts import RECORDINGS as RESTARTS
from tests.replay.record_second_factors import RECORDINGS as SECOND_FACTORS
from tests.support.challenge_flow import ChallengeFlow
from tests.workflows.fakes import CODE, LINK_TOKEN, PASSWORD_HASH, VOICE_TOKEN
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"
RECORDINGS = sorted(folder.name for folder in HISTORIES.iterdir() if folder.is_dir())
NAMES = [
    "challenge_email.json",
    "registration.json",
    "enrollment_phone.json",
    "enrollment_email.json",
    "registration_reset.json",
    "login_email.json",
    "login_phone_voice.json",
    "password_reset_phone.json",
    "password_reset_unknown.json",
    "admin_reset.json",
    "staff_login.json",
    *SECOND_FACTORS,
    *RESTARTS,
]
# A flow added later is in every recording since the first one made after it was.
FIRST_RECORDED = {
    "staff_login.json": "2026-12-05-staff-login",
    **dict.fromkeys(SECOND_FACTORS, "2026-12-06-second-factors"),
    # Recorded with that day's code (a decoy's send was a random wait): flows running on it.
    "password_reset_unknown.json": "2026-12-06-second-factors",
    # Likewise (the email method's Create saved the password and the method in two steps).
    "enrollment_email.json": "2026-12-06b-one-idle-timer",
    # Likewise (a restarted run's first step was a local one, in its first workflow task).
    **dict.fromkeys(RESTARTS, "2026-12-06c-audited-email"),
}
RECORDED = [(recording, name) for recording in RECORDINGS for name in NAMES if recording >= FIRST_RECORDED.get(name, "")]


def test_every_recording_holds_every_flow():
    assert len(RECORDINGS) >= 2  # the one before local database steps, and the one since
    for recording in RECORDINGS:
        expected = sorted(name for name in NAMES if recording >= FIRST_RECORDED.get(name, ""))
        assert sorted(path.name for path in (HISTORIES / recording).glob("*.json")) == expected, recording
    assert set(FIRST_RECORDED.values()) <= set(RECORDINGS)


@pytest.mark.parametrize(("recording", "name"), RECORDED)
async def test_recorded_history_replays(recording, name):
    history = WorkflowHistory.from_json("replayed", (HISTORIES / recording / name).read_text())
    result = await Replayer(workflows=[ChallengeFlow, *WORKFLOWS]).replay_workflow(history)
    assert result.replay_failure is None


@pytest.mark.parametrize(("recording", "name"), RECORDED)
def test_recorded_history_holds_no_secret(recording, name):
    """Recorded from fakes, committed in clear: not even the fakes' code or tokens got in."""
    payloads = _payload_texts(json.loads((HISTORIES / recording / name).read_text()))
    assert payloads
    for text in payloads:
        assert CODE not in text and LINK_TOKEN not in text and VOICE_TOKEN not in text
        assert "$argon2id$" not in text.replace(PASSWORD_HASH, "")


def _payload_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [base64.b64decode(node["data"]).decode()] if {"metadata", "data"} <= node.keys() else []
        return own + [text for value in node.values() for text in _payload_texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in _payload_texts(value)]
    return []

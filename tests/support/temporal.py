"""Temporal for tests: the dev server with per-workflow time skipping (one per run), the v1
time-skipping test server when a test needs it, and a settings object wired to both."""

from __future__ import annotations

import base64
import secrets
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig

from engine import search_attributes as sa
from engine.client import data_converter
from settings import Settings

BIN = Path(sys.executable).parent
TIME_SKIPPING_FLAG = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]


def make_settings(**overrides: object) -> Settings:
    """Settings with fresh secrets; tests pass the addresses of the servers they use."""
    values: dict[str, object] = {
        "secret_key": secrets.token_urlsafe(32),
        "payload_keys": f"test1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "twilio_auth_token": secrets.token_hex(16),
        "temporal_task_queue": f"tq-{uuid.uuid4().hex[:12]}",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def temporal_env():
    """The real dev server (search attributes registered). Workflows started through
    ``temporal_env.client`` keep a clock of their own that moves only with ``fast_forward``."""
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_extra_args=TIME_SKIPPING_FLAG,
        search_attributes=sa.ALL,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def temporal_v1_env():
    """The v1 time-skipping test server: time jumps whenever every workflow is idle.
    (It does not skip while a client waits on an update: use it for signal-driven tests.)"""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(BIN / "temporal-test-server"))
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def temporal_address(temporal_env) -> str:
    return temporal_env.client.service_client.config.target_host


def client_for(env: WorkflowEnvironment, settings: Settings) -> Client:
    """The environment's client (with its time-skipping stamp) speaking our encrypted converter."""
    config = env.client.config()
    config["data_converter"] = data_converter(settings)
    return Client(**config)

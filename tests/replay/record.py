"""Record the histories the replay tests check: `python -m tests.replay.record`.

Run it when a flow's *intended* behaviour changes (and say so in the commit); a replay
failure without such a change means running flows would break on deploy."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig
from temporalio.worker import Worker

from engine import search_attributes as sa
from tests.support.challenge_flow import ChallengeFlow, ChallengeStart
from tests.support.temporal import BIN, TIME_SKIPPING_FLAG
from tests.workflows.test_code_challenge import CODE, FakeSenders
from workflows.flow import FlowView
from domain import digests

HISTORIES = Path(__file__).parent / "histories"
SECRET_KEY = "replay-recording-key-not-a-real-secret-0123456789"


async def record_challenge(env: WorkflowEnvironment) -> str:
    senders = FakeSenders(SECRET_KEY)
    async with Worker(env.client, task_queue="replay", workflows=[ChallengeFlow], activities=senders.activities()):
        handle = await env.client.start_workflow(
            ChallengeFlow.run, ChallengeStart(channel="email", destination="replay@example.com"),
            id=f"challenge-{uuid.uuid4()}", task_queue="replay",
        )
        await handle.execute_update("send_code", result_type=FlowView)
        wrong = digests.code_digest(senders.code_key, handle.id, "000000")
        await handle.execute_update("verify_code", wrong, result_type=FlowView)
        await env.fast_forward(handle, timedelta(seconds=25))
        await handle.execute_update("send_code", result_type=FlowView)
        right = digests.code_digest(senders.code_key, handle.id, CODE)
        await handle.execute_update("verify_code", right, result_type=FlowView)
        await handle.result()
        return (await handle.fetch_history()).to_json()


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_extra_args=TIME_SKIPPING_FLAG,
        search_attributes=sa.ALL,
    )
    try:
        (HISTORIES / "challenge_email.json").write_text(await record_challenge(env))
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)

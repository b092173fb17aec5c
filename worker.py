"""Builds the Temporal client and runs the worker: every workflow and activity of the engine."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack

from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, Worker

import asyncpg

from activities.email import EmailActivities
from activities.phone import PhoneActivities, twilio_client
from activities.postgres import AccountActivities
from engine.client import connect
from settings import Settings, load_settings
from store.pool import create_pool
from workflows.registry import WORKFLOWS

log = logging.getLogger("atrezzo.worker")


def activities(settings: Settings, pool: asyncpg.Pool) -> list:
    email = EmailActivities(settings)
    phone = PhoneActivities(settings, twilio_client(settings))
    return [
        email.send_code_email,
        email.send_link_email,
        phone.send_code_sms,
        phone.place_verification_call,
        *AccountActivities(pool).all(),
    ]


def build_worker(
    client: Client, settings: Settings, pool: asyncpg.Pool, *, workflows: list[type] | None = None
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS if workflows is None else workflows),
        activities=activities(settings, pool),
        max_concurrent_activities=100,
        # A burst of flows starting at once (a clinic's staff after an announcement) otherwise
        # queues behind a fixed number of pollers; see the README's benchmark notes.
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(),
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url)
        stack.push_async_callback(pool.close)
        client = await connect(settings)
        worker = build_worker(client, settings, pool)
        await stack.enter_async_context(worker)
        log.info("worker polling task queue %s at %s", settings.temporal_task_queue, settings.temporal_address)
        await stop.wait()


def run_worker_forever() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The twilio client logs request lines at INFO; keep them out of the worker's log.
    logging.getLogger("twilio").setLevel(logging.WARNING)
    settings = load_settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    asyncio.run(main())
    return 0


if __name__ == "__main__":
    status = run_worker_forever()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

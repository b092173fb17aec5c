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
import opentelemetry.trace

from activities.email import EmailActivities
from activities.housekeeping import HousekeepingActivities
from activities.phone import PhoneActivities, twilio_client
from activities.postgres import AccountActivities
from activities.postgres_authenticator import AuthenticatorActivities
from activities.postgres_passkeys import PasskeyActivities
from activities.postgres_staff import StaffAccountActivities
from engine.client import connect
from engine.interceptors import FlowMetrics
from engine.sandbox import passing_through
from engine.schedules import SCHEDULE_ID, ensure_schedule
from engine.logs import configure_logging
from engine.telemetry import for_process, tracer_of
from settings import Settings, load_settings
from store.pool import create_pool
from workflows.registry import WORKFLOWS

log = logging.getLogger("atrezzo.worker")


def activities(settings: Settings, pool: asyncpg.Pool, tracer: opentelemetry.trace.Tracer | None = None) -> list:
    email = EmailActivities(settings, tracer)
    phone = PhoneActivities(settings, twilio_client(settings), tracer)
    return [
        email.send_code_email,
        email.imitate_code_email,
        email.send_link_email,
        email.send_notice_email,
        phone.send_code_sms,
        phone.place_verification_call,
        *AccountActivities(pool).all(),
        *StaffAccountActivities(pool, settings.staff_group_roles).all(),
        *AuthenticatorActivities(pool, settings.secret_key).all(),
        *PasskeyActivities(pool, settings.secret_key, settings.public_base_url).all(),
        *HousekeepingActivities(pool).all(),
    ]


def build_worker(
    client: Client, settings: Settings, pool: asyncpg.Pool, *, workflows: list[type] | None = None
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS if workflows is None else workflows),
        activities=activities(settings, pool, tracer_of(client)),
        # Tracing comes with the client (engine.telemetry); flow metrics are always recorded
        # (into a no-op meter unless METRICS_ADDRESS is set).
        interceptors=[FlowMetrics()],
        workflow_runner=passing_through("workflows"),
        max_concurrent_activities=100,
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
        # A burst of flows starting at once (a clinic's staff after an announcement) otherwise
        # queues behind a fixed number of pollers (README, "How it scales").
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(),
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url)
        stack.push_async_callback(pool.close)
        telemetry = for_process(settings, "worker")
        stack.callback(telemetry.flush)
        client = await connect(settings, telemetry)
        worker = build_worker(client, settings, pool)
        await stack.enter_async_context(worker)
        if await ensure_schedule(client, settings.temporal_task_queue):
            log.info("created the hourly housekeeping schedule %s", SCHEDULE_ID)
        log.info("worker polling task queue %s at %s", settings.temporal_task_queue, settings.temporal_address)
        if settings.metrics_address:
            log.info("worker metrics at http://%s/metrics", settings.metrics_address)
        await stop.wait()


def run_worker_forever() -> int:
    settings = load_settings()
    configure_logging(settings, "worker")

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

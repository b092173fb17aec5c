"""The registration engine's workflows on a worker of their own, with fake activities, in the
time-skipping environment: each flow's clock moves only with ``fast_forward``. The code
challenge alone, in a flow made to test it, on a worker of its own too."""

from __future__ import annotations

import uuid

import pytest
from temporalio.worker import Worker

from tests.support.challenge_flow import ChallengeFlow, ChallengeStart
from tests.support.temporal import client_for, make_settings
from tests.workflows.fake_accounts import FakeAccounts
from tests.workflows.fake_authenticator import FakeAuthenticator
from tests.workflows.fakes import FakeSenders
from tests.workflows.harness import Flows, start_shown
from workflows.registry import WORKFLOWS


@pytest.fixture
async def flows(temporal_env):
    settings = make_settings()
    client = client_for(temporal_env, settings)
    senders = FakeSenders(settings.secret_key)
    accounts = FakeAccounts()
    authenticator = FakeAuthenticator(settings.secret_key)
    async with Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=senders.activities() + accounts.activities() + authenticator.activities(),
    ):
        yield Flows(temporal_env, client, settings.temporal_task_queue, senders, accounts, authenticator)


@pytest.fixture
async def flow_env(temporal_env):
    settings = make_settings()
    client = client_for(temporal_env, settings)
    senders = FakeSenders(settings.secret_key)
    async with Worker(client, task_queue=settings.temporal_task_queue, workflows=[ChallengeFlow], activities=senders.activities()):

        async def start(**kwargs):
            return await start_shown(
                client,
                ChallengeFlow.run,
                ChallengeStart(**({"channel": "email", "destination": "pat@example.com"} | kwargs)),
                id=f"challenge-{uuid.uuid4()}",
                task_queue=settings.temporal_task_queue,
            )

        yield start, senders, temporal_env

"""deploy/temporal/setup-namespace.sh (the temporal-setup job) against a real Temporal
server: the dev server of the test run, a namespace of its own, the `temporal` CLI the dev
extras install (the admin-tools image ships the same CLI). Run twice: the second run finds
everything in place and still succeeds."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from engine import search_attributes
from tests.deploy import compose_file
from tests.deploy.test_compose import TEST_ENV

SCRIPT = compose_file.REPO / "deploy/temporal/setup-namespace.sh"


async def _run_setup(address: str, namespace: str) -> tuple[int, str]:
    setup_env = compose_file.environment(compose_file.load(TEST_ENV)["services"]["temporal-setup"])
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "ATREZZO_SEARCH_ATTRIBUTES": setup_env["ATREZZO_SEARCH_ATTRIBUTES"],
        "TEMPORAL_NAMESPACE_RETENTION": setup_env["TEMPORAL_NAMESPACE_RETENTION"],
    }
    process = await asyncio.create_subprocess_exec(
        "sh", str(SCRIPT), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    return process.returncode, output.decode()


async def test_it_creates_the_namespace_and_the_search_attributes_once(temporal_env, temporal_address):
    namespace = f"deploy-{uuid.uuid4().hex[:8]}"

    status, output = await _run_setup(temporal_address, namespace)
    assert status == 0, output

    listed = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    created = {name: IndexedValueType.Name(kind) for name, kind in listed.custom_attributes.items()}
    for key in search_attributes.ALL:
        assert created.get(key.name) == f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}", key.name

    status, output = await _run_setup(temporal_address, namespace)
    assert status == 0, output
    assert f"Namespace {namespace} exists" in output
    assert output.count("exists") == 1 + len(search_attributes.ALL)

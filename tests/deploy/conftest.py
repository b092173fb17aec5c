"""docker-compose.yml as Compose reads it, with test_compose.py's one value for every variable
it requires, and its services: read once for each test module that asks."""

from __future__ import annotations

import pytest

from tests.deploy import compose_file
from tests.deploy.test_compose import TEST_ENV


@pytest.fixture(scope="module")
def compose() -> dict:
    return compose_file.load(TEST_ENV)


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]

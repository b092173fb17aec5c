"""Fixtures running `atrezzo` against a fresh migrated database.

``atrezzo`` starts the real console script, as an operator would; ``atrezzo_in_process``
calls the same entry point in this process, which is much faster for the long tables of
bad inputs.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable

import pytest

from cli.main import _run

from .running import run_cli, settings_env, settings_vars

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def atrezzo(db_url: str) -> Callable[..., Result]:
    """atrezzo("provider", "add", ...) as a separate process."""
    env = settings_env(db_url)
    return lambda *args: run_cli(env, *args)


@pytest.fixture
def atrezzo_in_process(db_url: str, monkeypatch, capsys) -> Callable[..., Awaitable[Result]]:
    """await atrezzo_in_process("provider", "add", ...), same answer as the script."""
    for name, value in settings_vars(db_url).items():
        monkeypatch.setenv(name, value)

    async def run(*args: str) -> Result:
        capsys.readouterr()
        # A thread of its own: the command runs its own event loop with asyncio.run.
        status = await asyncio.to_thread(_run, list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), status, out, err)

    return run

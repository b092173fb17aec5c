"""The API process dying at a chosen moment of a request, in the test's own process: the next
call of a function raises as a killed process's request ends (the client gets the 503 "try
again"), and the calls after it run the function again."""

from __future__ import annotations

from types import ModuleType

import pytest


def dies_once(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> None:
    """The next call of ``module.name`` dies; the ones after it are the real function's."""
    real = getattr(module, name)

    async def dies(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(module, name, real)
        raise ConnectionResetError("the process died here")

    monkeypatch.setattr(module, name, dies)

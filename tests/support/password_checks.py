"""Counting argon2 verifications at the edge: what a throttle must bound is how many guesses
are ever checked, whatever the answers said."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest


def count_password_checks(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> Callable[[], int]:
    """Wrap ``module``'s verify_password and dummy_verify (the API runs in this process, on its
    own thread); the returned function tells how many ran, real or dummy."""
    calls: list[str] = []
    for name in ("verify_password", "dummy_verify"):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)  # list.append is atomic: the checks run on worker threads
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return lambda: len(calls)

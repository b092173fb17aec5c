"""Counting argon2 verifications at the edge: what a throttle must bound is how many guesses
are ever checked, whatever the answers said."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import passwords


def count_password_checks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Wrap argon2id verification (domain.passwords.verify_password: a dummy check runs it too,
    and the API runs in this process, on its own threads); the returned function tells how
    many checks ran, real or dummy."""
    calls: list[int] = []
    original = passwords.verify_password

    def counted(*args, **kwargs):
        calls.append(1)  # list.append is atomic: the checks run on worker threads
        return original(*args, **kwargs)

    monkeypatch.setattr(passwords, "verify_password", counted)
    return lambda: len(calls)

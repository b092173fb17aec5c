"""Counting argon2 at the edge: what a throttle must bound is how many guesses are ever checked,
whatever the answers said; what PASSWORD_HASHES_AT_ONCE bounds is how many run at once."""

from __future__ import annotations

import threading
import time
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


def peak_password_work(
    monkeypatch: pytest.MonkeyPatch, *, lasting: float = 0.05, while_held: Callable[[], None] = lambda: None
) -> Callable[[], int]:
    """Wrap argon2id itself (the hasher behind every verification and hash, real or dummy),
    each call held ``lasting`` seconds longer so that calls which could overlap do, and
    ``while_held`` called at the end of that wait; the returned function tells the most that
    ever ran at once."""
    real = passwords._hasher()
    running = 0
    peak = 0
    lock = threading.Lock()

    def held(work: Callable[..., object]) -> Callable[..., object]:
        def run(*args: object) -> object:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(lasting)
                while_held()
                return work(*args)
            finally:
                with lock:
                    running -= 1

        return run

    class HeldHasher:
        hash = staticmethod(held(real.hash))
        verify = staticmethod(held(real.verify))
        check_needs_rehash = staticmethod(real.check_needs_rehash)

    monkeypatch.setattr(passwords, "_hasher", HeldHasher)
    return lambda: peak

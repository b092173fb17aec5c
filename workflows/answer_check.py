"""An answer the worker checks, where nothing new can be sent: the authenticator app's code,
a passkey, a recovery code. One check at a time (a second answer while the first is checked
would race it to the database), and wrong answers counted per flow until MAX_WRONG_TRIES,
after which the flow takes no more (the edge's throttle counts across flows besides)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from workflows.code_challenge import Outcome
from workflows.flow import field_error

MAX_WRONG_TRIES = 5


class ShowsErrors(Protocol):
    def _show_error(self, field_name: str, message: str, code: str = "") -> None: ...


@dataclass
class AnswerCheck:
    wrong: str  # the message for a wrong answer
    locked: str  # and for the last one allowed, and every try after it
    busy: str  # for an answer that comes while one is being checked
    field: str = "code"  # the screen's field they are shown on
    count: int = 0  # wrong answers so far
    running: bool = False

    @property
    def used_up(self) -> bool:
        return self.count >= MAX_WRONG_TRIES

    def admit(self) -> None:
        """For the update's validator: refuse an answer while one is checked, or after the last try."""
        if self.running:
            raise field_error(self.field, self.busy)
        if self.used_up:
            raise field_error(self.field, self.locked, Outcome.LOCKED.value)

    @contextmanager
    def checking(self) -> Iterator[None]:
        """Around the check itself, so ``admit`` refuses what comes meanwhile."""
        self.running = True
        try:
            yield
        finally:
            self.running = False

    def refuse(self, flow: ShowsErrors) -> None:
        """One more wrong answer, shown on its field with its outcome."""
        self.count += 1
        outcome = Outcome.LOCKED if self.used_up else Outcome.WRONG
        flow._show_error(self.field, self.locked if self.used_up else self.wrong, outcome.value)

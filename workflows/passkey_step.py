"""A passkey ceremony, the part a flow opts into (enrollment's new passkey, login's and a
password reset's second factor). The edge shows the browser options whose challenge is
derived from the flow's id and its ceremony number (domain/passkeys.py); the browser's answer
comes back as an update; the worker checks it (activities/postgres_passkeys.py). Each answer,
right or wrong, moves the flow to a new ceremony: an answer is good once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import PASSKEY_VERIFIED, PasskeyAnswer
    from workflows.answer_check import AnswerCheck
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, FlowWorkflow, field_error

PASSKEY_REFUSED = "Your passkey was not accepted. Please try again, or use another passkey."
PASSKEY_LOCKED = "Your passkey was not accepted too many times. Please start again."
PASSKEY_CHECKING = "Your passkey is being checked. Please wait."
NO_ANSWER = "Press the button and follow what your browser asks to use your passkey."
# Far above any real answer (a few KB): a bigger one is refused before it reaches history.
MAX_ANSWER = 16_384
MAX_NAME = 60


@dataclass(frozen=True)
class PasskeyEntry:
    answer: str  # the browser's JSON answer
    name: str = ""  # a new passkey's name, as typed


class PasskeyStep(FlowWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._passkey_answers = AnswerCheck(PASSKEY_REFUSED, PASSKEY_LOCKED, PASSKEY_CHECKING, field="passkey")

    # --- what the host flow says ----------------------------------------------------------
    def _passkey_screen(self) -> str:
        raise NotImplementedError

    def _passkey_check(self, entry: PasskeyEntry, ceremony: int) -> tuple[Any, PasskeyAnswer]:
        """The database step that checks this answer, and what it is given."""
        raise NotImplementedError

    async def _passkey_accepted(self) -> None:
        """Hook: the passkey was accepted; move on from here."""

    def _passkey_passed(self, outcome: Any) -> bool:
        """Whether the check's outcome accepts the answer (a flow whose check returns more
        than a word reads it here)."""
        return outcome == PASSKEY_VERIFIED

    # --- the action -------------------------------------------------------------------------
    @workflow.update
    async def answer_passkey(self, entry: PasskeyEntry) -> FlowView:
        self._touch()
        ceremony = self._view.passkey_ceremony
        self._view.passkey_ceremony += 1
        step, arg = self._passkey_check(entry, ceremony)
        with self._passkey_answers.checking():
            outcome = await database_step(step, arg)
        if self._passkey_passed(outcome):
            self._clear_errors()
            await self._passkey_accepted()
        else:
            self._passkey_answers.refuse(self)
        return self._answer()

    @answer_passkey.validator
    def _check_passkey_answer(self, entry: PasskeyEntry) -> None:
        if self._view.step != self._passkey_screen():
            raise field_error("passkey", "There is no passkey to use on this screen.")
        self._passkey_answers.admit()
        if not entry.answer.strip() or len(entry.answer) > MAX_ANSWER:
            raise field_error("passkey", NO_ANSWER, "no_answer")
        if len(entry.name) > MAX_NAME:
            raise field_error("name", f"Give the passkey a name of up to {MAX_NAME} characters.")

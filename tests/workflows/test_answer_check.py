"""One answer checked at a time, and the wrong ones counted until the flow takes no more."""

import pytest
from temporalio.exceptions import ApplicationError

from workflows.answer_check import MAX_WRONG_TRIES, AnswerCheck
from workflows.code_challenge import Outcome


class Screen:
    """What a flow shows: the errors the check puts on it."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str, str]] = []

    def _show_error(self, field_name: str, message: str, code: str = "") -> None:
        self.errors.append((field_name, message, code))


def refusal(check: AnswerCheck) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        check.admit()
    return refused.value


def test_an_answer_that_comes_while_one_is_checked_is_refused_until_the_check_ends():
    check = AnswerCheck("Wrong.", "Locked.", "Being checked.", field="passkey")
    check.admit()
    with check.checking():
        assert refusal(check).message == "Being checked."
        assert refusal(check).details[0] == "passkey"
    check.admit()


def test_a_check_that_fails_does_not_leave_the_flow_refusing_every_answer():
    check = AnswerCheck("Wrong.", "Locked.", "Being checked.")
    with pytest.raises(RuntimeError), check.checking():
        raise RuntimeError("the database step gave up")
    check.admit()


def test_the_last_wrong_answer_locks_and_every_one_after_it_is_refused():
    check, screen = AnswerCheck("Wrong.", "Locked.", "Being checked."), Screen()
    for _ in range(MAX_WRONG_TRIES):
        check.admit()
        check.refuse(screen)
    wrong, locked = ("code", "Wrong.", Outcome.WRONG.value), ("code", "Locked.", Outcome.LOCKED.value)
    assert screen.errors == [wrong] * (MAX_WRONG_TRIES - 1) + [locked]
    assert (refusal(check).message, refusal(check).details[1]) == ("Locked.", Outcome.LOCKED.value)
